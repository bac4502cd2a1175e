using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Diagnostics;

/// <summary>
/// The environment variable that chooses a CPU Worker's float32 LSTM kernel (docs/lstm-kernel.md): <see cref="Auto"/>
/// (unset: oneDNN where it agrees with ATen on the run's shape) or <see cref="Aten"/>. Workers read it; the Orchestrator
/// checks it before it starts any, since the Workers it starts inherit it.
/// </summary>
public static class LstmKernelChoice
{
    public const string Variable = "RNNSWEEP_LSTM_KERNEL";
    public const string Auto = "auto";
    public const string Aten = "aten";

    /// <returns><see cref="Auto"/> or <see cref="Aten"/>.</returns>
    /// <exception cref="ValidationException">Any value other than those two, empty or unset, naming the variable.</exception>
    public static string Parse(string? value) => value switch
    {
        null or "" or Auto => Auto,
        Aten => Aten,
        _ => throw new ValidationException(Variable, $"must be {Auto} (the default: oneDNN where it agrees with ATen) or {Aten}, not '{value}'"),
    };

    /// <summary>The choice in a process environment about to start a Worker (a ProcessStartInfo's); see <see cref="Parse"/>.</summary>
    public static string Check(IDictionary<string, string?> environment) => Parse(environment.TryGetValue(Variable, out var value) ? value : null);

    /// <summary>This process's choice; see <see cref="Parse"/>.</summary>
    public static string FromEnvironment() => Parse(Environment.GetEnvironmentVariable(Variable));
}
