namespace RnnSweep.Shared.Domain;

/// <summary>Helpers for the closed sets of words stored as text (statuses, kinds, layouts), each defined once by its type.</summary>
public static class ClosedSet
{
    /// <summary>The words for an error message: <c>'a' or 'b'</c>, <c>'a', 'b' or 'c'</c>.</summary>
    public static string OneOf(IReadOnlyList<string> values) =>
        values.Count == 1 ? $"'{values[0]}'" : string.Join(", ", values.Take(values.Count - 1).Select(v => $"'{v}'")) + $" or '{values[^1]}'";
}
