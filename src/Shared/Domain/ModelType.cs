namespace RnnSweep.Shared.Domain;

/// <summary>The recurrent cell of a run. Written in lowercase everywhere (JSON, SQL, CLI, dashboard).</summary>
public enum ModelType
{
    Lstm,
    Gru,
    Rnn,
}

public static class ModelTypeNames
{
    public static string Name(this ModelType model) => model switch
    {
        ModelType.Lstm => "lstm",
        ModelType.Gru => "gru",
        ModelType.Rnn => "rnn",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, null),
    };

    public static bool TryParse(string? text, out ModelType model)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "lstm": model = ModelType.Lstm; return true;
            case "gru": model = ModelType.Gru; return true;
            case "rnn": model = ModelType.Rnn; return true;
            default: model = default; return false;
        }
    }

    public static ModelType Parse(string text) =>
        TryParse(text, out var model) ? model : throw new FormatException($"unknown model type '{text}' (expected lstm, gru or rnn)");
}
