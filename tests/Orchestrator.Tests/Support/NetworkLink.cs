using System.Diagnostics;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>
/// Two hosts made of Linux network namespaces the test creates (<c>ip netns</c>), joined by a veth pair: a database
/// host and a Worker host, each with its loopback and one address on the link, and nothing else, no route out. The
/// addresses exist only inside these namespaces; disposing deletes both namespaces, which removes the pair. Needs
/// root (CI runs as root).
/// </summary>
public sealed class NetworkLink : IDisposable
{
    private NetworkLink(string tag, int subnet)
    {
        DatabaseNamespace = $"rsw-db-{tag}";
        WorkerNamespace = $"rsw-wk-{tag}";
        DatabaseAddress = $"10.231.{subnet}.1";
        WorkerAddress = $"10.231.{subnet}.2";
        Network = $"10.231.{subnet}.0/30";
    }

    public string DatabaseNamespace { get; }
    public string WorkerNamespace { get; }
    public string DatabaseAddress { get; }
    public string WorkerAddress { get; }
    /// <summary>The link's network in CIDR form, for pg_hba.conf.</summary>
    public string Network { get; }

    /// <summary>The command prefix that runs a program on the Worker host.</summary>
    public string[] OnWorkerHost => ["ip", "netns", "exec", WorkerNamespace];

    public static NetworkLink Create()
    {
        if (Environment.UserName != "root")
            throw new Xunit.Sdk.XunitException("this test makes network namespaces (ip netns), which needs root; CI runs the suite as root");
        var tag = $"{Environment.ProcessId % 100000}-{Random.Shared.Next(1000)}";
        var link = new NetworkLink(tag, Random.Shared.Next(1, 250));
        try
        {
            Ip("netns", "add", link.DatabaseNamespace);
            Ip("netns", "add", link.WorkerNamespace);
            // The pair is made inside the namespaces: no interface or address ever appears in the test's own.
            Ip("link", "add", "veth-db", "netns", link.DatabaseNamespace, "type", "veth", "peer", "name", "veth-wk", "netns", link.WorkerNamespace);
            foreach (var (ns, dev, address) in new[] { (link.DatabaseNamespace, "veth-db", link.DatabaseAddress), (link.WorkerNamespace, "veth-wk", link.WorkerAddress) })
            {
                Ip("-n", ns, "addr", "add", address + "/30", "dev", dev);
                Ip("-n", ns, "link", "set", dev, "up");
                Ip("-n", ns, "link", "set", "lo", "up");
            }
        }
        catch
        {
            link.Dispose();
            throw;
        }
        return link;
    }

    /// <summary>The IPv4 addresses on the Worker host (ip -4 -o addr).</summary>
    public string WorkerAddresses() => Ip("-n", WorkerNamespace, "-4", "-o", "addr");

    public static string Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var ip = Process.Start(psi)!;
        var output = ip.StandardOutput.ReadToEnd();
        var error = ip.StandardError.ReadToEnd();
        ip.WaitForExit();
        if (ip.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({ip.ExitCode}): {error}");
        return output;
    }

    public void Dispose()
    {
        foreach (var ns in new[] { WorkerNamespace, DatabaseNamespace })
        {
            try { Ip("netns", "del", ns); } catch (InvalidOperationException) { } // not made, or already gone
        }
    }
}
