using System.Globalization;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Domain;
using Spectre.Console;

namespace RnnSweep.Orchestrator.Cli;

/// <summary>The loss table in the terminal, laid out as the paper's Table 1.</summary>
public static class TableView
{
    /// <param name="ngram">The sweep's n-gram baselines (test losses): with the test loss, a line gives the best and
    /// says when it is below the table's best network, which a table of networks alone would hide.</param>
    public static void Print(LossTable table, string loss = "test", IAnsiConsole? console = null, IReadOnlyList<Dashboard.NGramRow>? ngram = null)
    {
        console ??= Terminal.Create();
        Func<LossCell, double?> pick = loss switch
        {
            "train" => c => c.TrainLoss,
            "val" => c => c.ValLoss,
            _ => c => c.TestLoss,
        };
        // The best cell by the loss shown, so the line under a validation table names a validation loss.
        var best = table.Rows.SelectMany(r => r.Cells).Where(c => c?.Status == RunStatus.Succeeded && pick(c) is not null).MinBy(c => pick(c!));
        var view = new Table { Title = new TableTitle($"{loss} loss ({table.Unit}): sweep {table.SweepId} '{Markup.Escape(table.Sweep)}' on {Markup.Escape(table.Corpus)}{Markup.Escape(ViewTitle(table))}") };
        view.AddColumn(new TableColumn("size").RightAligned());
        foreach (var column in table.Columns) view.AddColumn(new TableColumn(column.Label).RightAligned());
        foreach (var row in table.Rows)
        {
            view.AddRow([row.Size.ToString(CultureInfo.InvariantCulture), .. row.Cells.Select(c => Format(c, pick, c == best) + Detail(c, loss))]);
        }
        console.Write(view);
        // Rows that are parameter budgets train other sizes than their label: say which, or the table hides them.
        foreach (var row in table.Rows.Where(r => r.Cells.Any(c => c is not null && c.Hidden != r.Size)))
        {
            var sizes = table.Columns.Zip(row.Cells).Where(p => p.Second is not null).Select(p => $"{p.First.Label} x {p.Second!.Hidden}");
            console.WriteLine($"row {row.Size.ToString(CultureInfo.InvariantCulture)} trains: {string.Join(", ", sizes)}");
        }
        if (best is not null) console.MarkupLine($"best: [bold]{pick(best):0.000}[/] {(loss == "val" ? "validation" : loss)} loss (run {best.RunId})");
        if (loss == "test" && ngram is { Count: > 0 } && ngram.MinBy(n => n.TestLoss) is { } gram)
        {
            var below = best is not null && gram.TestLoss < pick(best) ? ": below the best network in this table" : "";
            console.MarkupLine(Markup.Escape($"n-gram baseline: {gram.TestLoss.ToString("0.000", CultureInfo.InvariantCulture)} test loss (order {gram.Order}, {gram.Smoothing}){below}"));
        }
    }

    /// <summary>", best of 3 runs per cell by validation loss" and the like; empty for a plain grid.</summary>
    public static string ViewTitle(LossTable table) => table.RunsPerCell == 1 ? "" : table.View switch
    {
        LossTableViews.Mean => $", mean ± sd over seeds (n) of the setting with the lowest mean validation loss",
        LossTableViews.Slice => $", slice {table.Slice}",
        _ => $", best of {table.RunsPerCell} runs per cell by validation loss",
    };

    /// <summary>Under a value: ± sd and n (mean view), the values chosen (best and mean views of a sweep with axes).</summary>
    private static string Detail(LossCell? cell, string loss)
    {
        if (cell is null) return "";
        var detail = "";
        if (cell.N is { } n and > 0)
        {
            var sd = loss switch { "train" => cell.TrainSd, "val" => cell.ValSd, _ => cell.TestSd };
            detail += $" ± {(sd is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-")} (n={n})";
        }
        if (cell.Chosen is not null) detail += $"\n[grey]{Markup.Escape(cell.ChosenText)}[/]";
        return detail;
    }

    public static string Format(LossCell? cell, Func<LossCell, double?> pick, bool best = false)
    {
        if (cell is null) return "";
        if (pick(cell) is { } value)
        {
            var text = value.ToString("0.000", CultureInfo.InvariantCulture);
            return best ? $"[bold green]{text}[/]" : text;
        }
        return cell.Status;
    }
}
