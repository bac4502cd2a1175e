using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RnnSweep.Shared.Domain;
using RnnSweep.Shared.Json;
using RnnSweep.Shared.Runs;
using RnnSweep.Shared.Schema;

namespace RnnSweep.Orchestrator.Sweeps;

/// <summary>One grid cell of the loss table: its run (or runs) and where it stands.</summary>
/// <param name="RunId">The run shown: the one chosen (<c>best</c>), the first seed of the chosen setting (<c>mean</c>), or the slice's.</param>
/// <param name="LeaseNote">For a running run whose lease lapsed: "lease expired N s ago, waiting for takeover"; else null.</param>
/// <param name="Chosen">The axis values (and seed, in the <c>best</c> view of a sweep with seeds) of what the cell shows; null for a plain grid.</param>
/// <param name="N">The <c>mean</c> view: succeeded runs averaged (losses are means over them); null in the other views.</param>
/// <param name="TrainSd">The <c>mean</c> view: sample standard deviations over the <see cref="N"/> runs (null when N &lt; 2).</param>
/// <param name="Runs">Runs behind the cell: all of the cell's (<c>best</c>), of the chosen setting (<c>mean</c>), 1 (<c>slice</c>).</param>
/// <param name="RunIds">The <c>mean</c> view: the runs of the chosen setting, by seed.</param>
public sealed record LossCell(long RunId, string Status, int Hidden, int EpochsDone, int MaxEpochs, double? TrainLoss, double? ValLoss, double? TestLoss, string? StopReason,
    string? LeaseNote = null, IReadOnlyDictionary<string, JsonElement>? Chosen = null, int? N = null, double? TrainSd = null, double? ValSd = null, double? TestSd = null,
    int Runs = 1, IReadOnlyList<long>? RunIds = null)
{
    /// <summary><see cref="Chosen"/> as text, e.g. "dropout 0.25, seed 43"; empty when null.</summary>
    public string ChosenText => Chosen is null ? "" : string.Join(", ", Chosen.Select(kv => $"{kv.Key} {kv.Value.GetRawText().Trim('"')}"));
}

public sealed record LossColumn(string Model, int Layers)
{
    public string Label => $"{Model} {Layers}";
}

/// <summary>A row of the table: the hidden size asked for (the LSTM's, when parameter counts are matched).</summary>
public sealed record LossRow(int Size, IReadOnlyList<LossCell?> Cells);

/// <summary>
/// The paper's Table 1 layout: rows are hidden sizes, columns model x layers (models in the order submitted).
/// Each cell is looked up by its (model, layers, hidden) key, never by position, so no cell can be mislabelled.
/// A cell with several runs (seeds, axes) is aggregated as <see cref="View"/> says: <see cref="LossTableViews.Best"/>
/// reads the view <c>loss_table_best</c>, <see cref="LossTableViews.Mean"/> <c>loss_table_mean</c>, so the SQL views,
/// the API, the CLI and the dashboard show the same numbers; <see cref="LossTableViews.Slice"/> picks one run per cell.
/// </summary>
/// <param name="View">One of <see cref="LossTableViews.All"/>.</param>
/// <param name="Slice">The slice shown (<c>dropout=0.25,seed=42</c>), null in the other views.</param>
/// <param name="Axes">The sweep's extra axes and their values; <c>seed</c> among them when it has several seeds.</param>
/// <param name="RunsPerCell">Seeds x axis values.</param>
public sealed record LossTable(long SweepId, string Sweep, string Corpus, IReadOnlyList<LossColumn> Columns, IReadOnlyList<LossRow> Rows,
    string View = LossTableViews.Best, string? Slice = null, IReadOnlyDictionary<string, JsonElement[]>? Axes = null, int RunsPerCell = 1)
{
    /// <summary>The losses' unit: nats per byte for a byte vocabulary, per character for a character one, per symbol when the sweep's axes mix them.</summary>
    public string Unit { get; init; } = VocabularyKinds.LossUnit(VocabularyKinds.Chars);

    /// <summary>The table in the <c>best</c> view (the only one for a plain grid), or null when there is no such sweep.</summary>
    public static Task<LossTable?> LoadAsync(RnnSweepDbContext db, long sweepId, CancellationToken ct) => LoadAsync(db, sweepId, LossTableViews.Best, null, ct);

    /// <param name="view">One of <see cref="LossTableViews.All"/>.</param>
    /// <param name="slice">For <c>slice</c>: a value for every axis, <c>dropout=0.25,seed=42</c> (seed only when there are several).</param>
    /// <exception cref="ValidationException"><c>view</c> or <c>slice</c> is not one of the sweep's.</exception>
    public static async Task<LossTable?> LoadAsync(RnnSweepDbContext db, long sweepId, string view, string? slice, CancellationToken ct)
    {
        if (!LossTableViews.All.Contains(view)) throw new ValidationException("view", $"must be {ClosedSet.OneOf(LossTableViews.All)}, not '{view}'");
        var sweep = await db.Sweeps.AsNoTracking().Where(s => s.Id == sweepId)
            .Select(s => new { s.Id, s.Name, Corpus = s.Corpus!.Name, s.Spec }).SingleOrDefaultAsync(ct);
        if (sweep is null) return null;
        var resolved = JsonSerializer.Deserialize<ResolvedSweep>(sweep.Spec, SpecResolver.Json)!;
        var axes = AxesOf(resolved);
        (string AxesJson, long? Seed)? filter = view == LossTableViews.Slice ? ParseSlice(slice, axes) : null;
        if (view != LossTableViews.Slice && slice is not null) throw new ValidationException("slice", "is given only with view=slice");

        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = conn.State != System.Data.ConnectionState.Open;
        if (opened) await conn.OpenAsync(ct);
        List<(string Model, int Layers, int Size, LossCell Cell)> cells;
        try
        {
            cells = view switch
            {
                LossTableViews.Mean => await MeanAsync(conn, sweepId, resolved, ct),
                _ => await RunsAsync(conn, sweepId, resolved, filter, ct),
            };
        }
        finally
        {
            if (opened) await conn.CloseAsync();
        }

        var columns = (from m in resolved.Models from l in resolved.Layers select new LossColumn(ModelTypeNames.Name(m), l)).ToList();
        var byCell = cells.ToDictionary(c => (c.Model, c.Layers, c.Size), c => c.Cell);
        var rows = resolved.HiddenSizes.Select(h => new LossRow(h, columns.Select(c => byCell.GetValueOrDefault((c.Model, c.Layers, h))).ToList())).ToList();
        return new LossTable(sweep.Id, sweep.Name, sweep.Corpus, columns, rows, view, view == LossTableViews.Slice ? slice : null,
            axes.Count > 0 ? axes : null, resolved.RunsPerCell) { Unit = VocabularyKinds.LossUnit(resolved.Variants().Select(v => v.Hyperparameters.Vocabulary)) };
    }

    /// <summary>The cell with the lowest test loss among succeeded runs.</summary>
    public LossCell? Best() => Rows.SelectMany(r => r.Cells).Where(c => c is { Status: RunStatus.Succeeded, TestLoss: not null })
        .MinBy(c => c!.TestLoss);

    /// <summary>The sweep's axes by name, <c>seed</c> included when it has several seeds.</summary>
    private static Dictionary<string, JsonElement[]> AxesOf(ResolvedSweep sweep)
    {
        var axes = new Dictionary<string, JsonElement[]>(StringComparer.Ordinal);
        foreach (var axis in sweep.Axes ?? []) axes[axis.Name] = [.. axis.Values.Select(v => JsonSerializer.SerializeToElement(v, JsonContract.Options))];
        if (sweep.Seeds is { Count: > 1 } seeds) axes["seed"] = [.. seeds.Select(s => JsonSerializer.SerializeToElement(s, JsonContract.Options))];
        return axes;
    }

    /// <summary>A slice names one value of every axis: <c>dropout=0.25,seed=42</c>; returns the runs.axes object and the seed.</summary>
    private static (string AxesJson, long? Seed) ParseSlice(string? slice, Dictionary<string, JsonElement[]> axes)
    {
        if (axes.Count == 0) throw new ValidationException("view", "slice needs a sweep with axes or several seeds; this one has one run per cell");
        if (string.IsNullOrWhiteSpace(slice)) throw new ValidationException("slice", $"is required with view=slice: a value for each of {string.Join(", ", axes.Keys)}, e.g. {Example(axes)}");
        var given = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var part in slice.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw new ValidationException("slice", $"'{part}' is not NAME=VALUE (e.g. {Example(axes)})");
            var (name, text) = (part[..eq].Trim(), part[(eq + 1)..].Trim());
            if (!axes.TryGetValue(name, out var values)) throw new ValidationException("slice", $"'{name}' is not an axis of this sweep ({string.Join(", ", axes.Keys)})");
            var match = values.Where(v => Same(v, text)).ToList();
            if (match.Count == 0) throw new ValidationException("slice", $"{name}={text} is not one of its values ({string.Join(", ", values.Select(v => v.GetRawText()))})");
            if (!given.TryAdd(name, match[0])) throw new ValidationException("slice", $"'{name}' is given more than once");
        }
        var missing = axes.Keys.Where(k => !given.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new ValidationException("slice", $"gives no value for {string.Join(", ", missing)} (e.g. {Example(axes)})");
        long? seed = given.Remove("seed", out var s) ? s.GetInt64() : null;
        var json = new System.Text.Json.Nodes.JsonObject(given.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => KeyValuePair.Create(kv.Key, System.Text.Json.Nodes.JsonNode.Parse(kv.Value.GetRawText())))).ToJsonString();
        return (json, seed);
    }

    private static string Example(Dictionary<string, JsonElement[]> axes) => string.Join(",", axes.Select(a => $"{a.Key}={a.Value[0].GetRawText().Trim('"')}"));

    private static bool Same(JsonElement value, string text) => value.ValueKind == JsonValueKind.Number
        ? double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d == value.GetDouble()
        : string.Equals(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(), text, StringComparison.Ordinal);

    /// <summary>The <c>best</c> view (from <c>loss_table_best</c>) or, with a filter, the slice's run of each cell.</summary>
    private static async Task<List<(string, int, int, LossCell)>> RunsAsync(NpgsqlConnection conn, long sweepId, ResolvedSweep sweep, (string AxesJson, long? Seed)? slice, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(slice is null ? """
            select b.model, b.layers, b.size, b.run_id, b.status, b.hidden, b.epochs_done, b.max_epochs, b.train_loss, b.val_loss, b.test_loss, b.stop_reason,
                   r.lease_owner, r.lease_expires_at, b.seed, b.axes::text, b.runs
            from loss_table_best b join runs r on r.id = b.run_id where b.sweep_id = $1
            """ : """
            select r.model, r.layers, r.size, r.id, r.status, r.hidden, r.epochs_done, r.max_epochs, r.train_loss, r.val_loss, r.test_loss, r.stop_reason,
                   r.lease_owner, r.lease_expires_at, r.seed, r.axes::text, 1
            from runs r where r.sweep_id = $1 and r.axes = $2::jsonb and ($3::bigint is null or r.seed = $3)
            """, conn);
        cmd.Parameters.AddWithValue(sweepId);
        if (slice is { } s)
        {
            cmd.Parameters.AddWithValue(s.AxesJson);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)s.Seed ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        }
        var now = DateTimeOffset.UtcNow;
        var severalSeeds = sweep.Seeds is { Count: > 1 };
        var plain = sweep.Axes is null && !severalSeeds;
        var cells = new List<(string, int, int, LossCell)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var status = reader.GetString(4);
            var chosen = plain ? null : Chosen(reader.GetString(15), severalSeeds ? reader.GetInt64(14) : null);
            cells.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), new LossCell(reader.GetInt64(3), status, reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7),
                Nullable(reader, 8), Nullable(reader, 9), Nullable(reader, 10), reader.IsDBNull(11) ? null : reader.GetString(11),
                LeaseState.ExpiredText(status, reader.IsDBNull(12) ? null : reader.GetString(12), reader.IsDBNull(13) ? null : reader.GetFieldValue<DateTimeOffset>(13), now),
                chosen, Runs: (int)Convert.ToInt64(reader.GetValue(16)))));
        }
        return cells;
    }

    /// <summary>The <c>mean</c> view: each cell's chosen setting (lowest mean validation loss) from <c>loss_table_mean</c>.</summary>
    private static async Task<List<(string, int, int, LossCell)>> MeanAsync(NpgsqlConnection conn, long sweepId, ResolvedSweep sweep, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            select model, layers, size, run_ids, status, hidden, epochs_done, max_epochs, train_loss_mean, val_loss_mean, test_loss_mean,
                   train_loss_sd, val_loss_sd, test_loss_sd, n, runs, axes::text
            from loss_table_mean where sweep_id = $1 and chosen
            """, conn);
        cmd.Parameters.AddWithValue(sweepId);
        var cells = new List<(string, int, int, LossCell)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var ids = reader.GetFieldValue<long[]>(3);
            cells.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), new LossCell(ids[0], reader.GetString(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7),
                Nullable(reader, 8), Nullable(reader, 9), Nullable(reader, 10), null, null,
                sweep.Axes is null ? null : Chosen(reader.GetString(16), null), (int)reader.GetInt64(14),
                Nullable(reader, 11), Nullable(reader, 12), Nullable(reader, 13), (int)reader.GetInt64(15), ids)));
        }
        return cells;
    }

    private static Dictionary<string, JsonElement> Chosen(string axesJson, long? seed)
    {
        var chosen = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(axesJson, JsonContract.Options)!;
        if (seed is { } s) chosen["seed"] = JsonSerializer.SerializeToElement(s, JsonContract.Options);
        return chosen;
    }

    private static double? Nullable(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
}

/// <summary>How a cell with several runs (seeds, axes) is shown.</summary>
public static class LossTableViews
{
    /// <summary>The succeeded run with the lowest validation loss, with the values chosen (the paper's per-model dropout).</summary>
    public const string Best = "best";
    /// <summary>Mean ± sample standard deviation over seeds, with n, of the setting whose mean validation loss is lowest.</summary>
    public const string Mean = "mean";
    /// <summary>One run per cell: the one with the given value of every axis.</summary>
    public const string Slice = "slice";

    public static readonly IReadOnlyList<string> All = [Best, Mean, Slice];
}
