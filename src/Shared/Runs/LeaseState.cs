using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Runs;

/// <summary>
/// Where a running run's lease stands, as the CLI, the API and the dashboard show it: held by a Worker, or expired
/// N seconds ago with the run waiting for another Worker to take it over (its Worker died, froze or was cut off).
/// </summary>
/// <param name="Owner">The Worker holding (or last holding) the lease.</param>
/// <param name="Expired">True when the lease has lapsed: nobody is training the run right now.</param>
/// <param name="ExpiredSeconds">Whole seconds since it lapsed; null while it is held.</param>
/// <param name="Text">"on w1/…" or "lease expired 12 s ago, waiting for takeover".</param>
public sealed record LeaseState(string? Owner, DateTimeOffset? ExpiresAt, bool Expired, int? ExpiredSeconds, string Text)
{
    public const string WaitingForTakeover = "waiting for takeover";

    /// <summary>The lease of a running run; null for any other status (a run holds no lease then).</summary>
    public static LeaseState? Of(string status, string? owner, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (status != RunStatus.Running) return null;
        if (expiresAt is { } at && at > now) return new LeaseState(owner, at, false, null, $"on {owner}");
        var seconds = expiresAt is { } lapsed ? (int)Math.Floor((now - lapsed).TotalSeconds) : (int?)null;
        return new LeaseState(owner, expiresAt, true, seconds,
            seconds is { } s ? $"lease expired {s} s ago, {WaitingForTakeover}" : $"no lease, {WaitingForTakeover}");
    }

    /// <summary>The text of an expired lease ("lease expired 12 s ago, waiting for takeover"); null when the run is not running or its lease is held.</summary>
    public static string? ExpiredText(string status, string? owner, DateTimeOffset? expiresAt, DateTimeOffset now) =>
        Of(status, owner, expiresAt, now) is { Expired: true } lease ? lease.Text : null;
}
