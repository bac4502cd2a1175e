using System.Globalization;
using System.Net;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>The page frame and the few formatting rules every dashboard page shares.</summary>
public static class Html
{
    public static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    /// <summary>Losses are shown with three decimals everywhere (the paper's precision, and the CLI's).</summary>
    public static string Loss(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "";

    public static string Num(double value, string format = "0.###") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Elapsed(TimeSpan span) => span.TotalHours >= 1
        ? $"{(int)span.TotalHours}h {span.Minutes:00}m"
        : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m {span.Seconds:00}s" : $"{span.Seconds}s";

    /// <summary>
    /// The run statuses for the pages' JavaScript, from their one C# type: an object with one key per status (its
    /// value the same word) and <c>final</c>, the list of final ones; so no script spells a status itself.
    /// </summary>
    private static readonly string RunStatusJson = System.Text.Json.JsonSerializer.Serialize(
        new Dictionary<string, object>(RunStatus.All.Select(s => KeyValuePair.Create(s, (object)s))) { ["final"] = RunStatus.All.Where(RunStatus.IsFinal).ToArray() });

    /// <param name="scripts">Files under /assets/ to load after the body.</param>
    public static IResult Page(string title, string body, params string[] scripts) => new PageResult($$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="csrf-token" content="{{PageResult.TokenMarker}}"><title>{{E(title)}} - RnnSweep</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
        <body data-run-status="{{E(RunStatusJson)}}"><nav><a href="/">Sweeps</a><a href="/sweeps/new">Submit a sweep</a><a href="/hangfire">Jobs (Hangfire)</a><a href="/openapi/v1.json">API (OpenAPI)</a></nav>
        <main>{{body}}</main>
        {{string.Concat(scripts.Prepend("common.js").Select(s => $"<script src=\"/assets/{s}\"></script>"))}}
        </body></html>
        """);
}
