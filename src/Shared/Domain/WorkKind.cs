namespace RnnSweep.Shared.Domain;

/// <summary>Pending work besides training, stored in <c>work_jobs.kind</c>.</summary>
public static class WorkKind
{
    /// <summary>A sweep's n-gram baseline (<c>ngram_baselines</c>), pending until its rows exist.</summary>
    public const string NGramBaseline = "ngram_baseline";
    /// <summary>A run's analyses, pending while a run that ended with losses has no <c>analyzed_at</c>.</summary>
    public const string Analysis = "analysis";
    /// <summary>A requested sample, pending until its row is finished.</summary>
    public const string Sample = "sample";

    public static readonly IReadOnlyList<string> All = [NGramBaseline, Analysis, Sample];
}
