using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Bench;

/// <summary>Collects the figures as they come and prints the table at the end.</summary>
public sealed class BenchReport
{
    private readonly List<BenchRow> _rows = [];
    private readonly List<string> _failures = [];

    public IReadOnlyList<BenchRow> Rows => _rows;

    /// <summary>Parts that failed or timed out; the bench goes on without their figures and exits non-zero.</summary>
    public IReadOnlyList<string> Failures => _failures;

    public void Fail(string part, string why)
    {
        var line = $"{part}: {why}";
        _failures.Add(line);
        Console.Error.WriteLine($"error: bench part failed, going on without its figures: {line}");
    }

    public void Add(BenchRow row)
    {
        _rows.Add(row);
        Console.WriteLine($"  {row.Section} | {row.Item}: {row.FormattedValue}{(row.Goal.Length > 0 ? $" (goal {row.Goal})" : "")}");
        // How it was measured, as it comes: a run stopped early (or cut off) keeps the rounds and splits of what it measured.
        if (row.How.Length > 0) Console.WriteLine($"      {row.How}");
    }

    /// <summary>Runs an in-process part; its failure is recorded like a Worker part's and the bench goes on.</summary>
    public async Task RunPartAsync(string part, Func<Task> body, CancellationToken ct)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Fail(part, e is ValidationException v ? string.Join("; ", v.Errors.Select(x => $"{x.Field}: {x.Message}")) : $"{e.GetType().Name}: {e.Message}");
        }
    }

    public void Print(TextWriter output)
    {
        output.WriteLine();
        output.WriteLine("| section | figure | value | goal | met | how it was measured |");
        output.WriteLine("|---|---|---|---|---|---|");
        foreach (var r in _rows)
        {
            var met = r.Met switch { true => "yes", false => "**no**", null => "" };
            output.WriteLine($"| {r.Section} | {r.Item} | {r.FormattedValue} | {r.Goal} | {met} | {r.How.Replace("|", "/")} |");
        }
        foreach (var f in _failures) output.WriteLine($"| not measured | {f.Replace("|", "/")} | | | | |");
    }
}
