namespace RnnSweep.Shared.Domain;

/// <summary>One problem with user input, naming the field (JSON path style, e.g. <c>hyperparameters.learningRate</c>).</summary>
public sealed record FieldError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>Thrown when user input is invalid; carries every problem found, not only the first.</summary>
public sealed class ValidationException(IReadOnlyList<FieldError> errors)
    : Exception(string.Join("; ", errors))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;

    public ValidationException(string field, string message) : this([new FieldError(field, message)]) { }
}
