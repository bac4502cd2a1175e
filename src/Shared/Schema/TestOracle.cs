namespace RnnSweep.Shared.Schema;

/// <summary>
/// Sections 4.2 and 4.3 of the paper: facts about every position of a sweep's test split, whatever model predicts
/// it (the same positions as <see cref="TestPrediction.Probabilities"/>). The views <c>error_analysis</c>,
/// <c>error_analysis_scaling</c>, <c>prediction_by_class</c> and <c>closing_by_distance</c> join them with each
/// run's probabilities. Written by the n-gram job beside <see cref="NGramPrediction"/>.
/// </summary>
public sealed class TestOracle
{
    public long SweepId { get; set; }
    /// <summary>The largest n of the n-gram oracle (9, the paper's, unless the n-gram model stopped below it).</summary>
    public int MaxOracleOrder { get; set; }
    /// <summary>The smallest n whose n-gram model gives the symbol p &gt;= 0.5, else 0.</summary>
    public required short[] NgramOrder { get; set; }
    /// <summary>For a word's second and later symbols: the smallest window (100, 500, 1000 or 5000 symbols) holding the whole word before it starts, else 0.</summary>
    public required short[] MemoryWindow { get; set; }
    /// <summary>How often the symbol's word occurs in the train split (capped at 32,767); -1 outside words.</summary>
    public required short[] TrainCount { get; set; }
    /// <summary>The <see cref="Domain.CharacterClass"/> of the symbol before; -1 at a segment's start.</summary>
    public required short[] PreviousClass { get; set; }
    /// <summary>The <see cref="Domain.CharacterClass"/> of the symbol.</summary>
    public required short[] CharacterClass { get; set; }
    /// <summary>At a closing bracket or quote, the distance back to its opener in symbols, else -1.</summary>
    public required int[] OpenerDistance { get; set; }
}

/// <summary>The names of <see cref="Domain.CharacterClass"/> for SQL (<c>character_classes</c>).</summary>
public sealed class CharacterClassRow
{
    public short Id { get; set; }
    public required string Name { get; set; }
}
