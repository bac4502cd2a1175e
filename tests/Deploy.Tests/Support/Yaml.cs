using YamlDotNet.RepresentationModel;

namespace RnnSweep.Deploy.Tests.Support;

/// <summary>Small navigation helpers over YamlDotNet's node model, so tests read like the manifests they check.</summary>
public static class Yaml
{
    public static IReadOnlyList<YamlMappingNode> LoadDocuments(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    public static YamlNode? Get(this YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static YamlNode? Path(this YamlNode? node, params string[] keys) => keys.Aggregate(node, (n, k) => n.Get(k));

    public static YamlMappingNode Map(this YamlNode? node, params string[] keys) =>
        node.Path(keys) as YamlMappingNode ?? throw new Xunit.Sdk.XunitException($"expected a mapping at {string.Join('.', keys)}");

    public static IReadOnlyList<YamlNode> Seq(this YamlNode? node, params string[] keys) =>
        node.Path(keys) is YamlSequenceNode seq ? seq.Children.ToList() : [];

    public static string? Str(this YamlNode? node, params string[] keys) => (node.Path(keys) as YamlScalarNode)?.Value;

    public static IEnumerable<string> Keys(this YamlNode? node) =>
        node is YamlMappingNode map ? map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value!) : [];
}
