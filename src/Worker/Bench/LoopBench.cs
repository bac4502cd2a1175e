using System.Diagnostics;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Jobs;
using RnnSweep.Worker.Stores;
using RnnSweep.Worker.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RnnSweep.Worker.Bench;

/// <summary>
/// Training-loop overhead and hardware use for one model: the Worker's full loop (Trainer.RunEpoch with its
/// validation pass, SaveCheckpoint, RunStore.CommitEpochAsync against PostgreSQL under a real lease) against a bare
/// forward / backward / step loop of the same model, batch and optimizer in the same process. After one untimed epoch
/// (a Worker's once-per-process costs), the full epochs run in <c>--rounds</c> rounds of <c>--epochs</c> epochs with a bare loop before, between and after them; each round is
/// divided by the rate of the two bare loops beside it (their characters over their pooled wall time), so contention
/// that comes and goes affects both sides alike, and the overhead figure is the median round.
/// Protocol: the seed reproduction's (batch 128, seq 70, Adam, 90/5/5 splits, carried state, one epoch = one
/// pass over the train split), on a generated corpus sized so one epoch takes about --epoch-seconds.
/// </summary>
public static class LoopBench
{
    public static async Task RunAsync(BenchArgs a)
    {
        var layers = a.Int("layers", 1);
        var hidden = a.Int("hidden", 64);
        var threads = a.Int("threads", Environment.ProcessorCount);
        var input = a.Get("input") ?? InputEncodings.OneHot;
        var epochSeconds = a.Int("epoch-seconds", 10);
        var epochs = a.Int("epochs", 2);                 // per round
        var rounds = a.Int("rounds", 1);
        var runId = a.Long("run", 0);
        var connection = a.Get("connection");
        var label = a.Get("label") ?? $"LSTM {layers}x{hidden}";
        var memoryOnly = a.Has("memory-only");
        if (epochs < (memoryOnly ? 1 : 2)) throw new BenchArgsException($"bench loop: --epochs must be at least {(memoryOnly ? "1" : "2 (the first epoch's commit overlaps the second)")}, not {epochs}");
        if (rounds < 1 || (memoryOnly && rounds != 1)) throw new BenchArgsException($"bench loop: --rounds must be at least 1 (exactly 1 with --memory-only), not {rounds}");
        // As a Worker's jobs do (TorchLock): every torch call of the bench, before and after its awaits, on one thread.
        await TorchThread.Instance.Enter();
        torch.set_num_threads(threads);

        var hp = new Hyperparameters
        {
            BatchSize = a.Int("batch", 128), SeqLength = a.Int("seq", 70), Input = input, Optimizer = Optimizers.Adam, LearningRate = 2e-3,
            TrainFraction = 0.9, ValFraction = 0.05, TestFraction = 0.05, MaxEpochs = 1000, Patience = 1000, CarryState = true,
            Precision = a.Get("precision"),
        };
        if (hp.Validate().FirstOrDefault(e => e.Field.EndsWith(".precision", StringComparison.Ordinal)) is { } wrong) throw new BenchArgsException($"bench loop: --precision {wrong.Message}");
        if (hp.IsBFloat16 && BenchFigure.SkipWithoutBFloat16("1 loop overhead", label)) return;
        var cell = new CellSpec(ModelType.Lstm, layers, hidden, hp);
        var charsPerBatch = (long)hp.BatchSize * hp.SeqLength;

        // Bare loop first: it also sizes the epoch.
        var sample = BenchText.Generate(Math.Max(200_000, charsPerBatch * 2));
        var vocabulary = Vocabulary.Build(sample, VocabularyKinds.Chars);
        var v = vocabulary.Size;
        var flopsPerChar = ModelCost.FlopsPerChar(ModelType.Lstm, layers, hidden, v);
        manual_seed(hp.Seed);
        using var bare = Trainer.CreateModel(cell, v, CPU);
        using var bareOptimizer = OptimizerFactory.Create(hp, bare.parameters());
        using var bareHalf = hp.IsBFloat16 ? new BFloat16Step(bare, Trainer.CreateModel(cell, v, CPU)) : null; // the Trainer's own bfloat16 step
        var bareKernel = new TrainingKernel(cell, v);                                   // the Trainer's kernel choice, made for the bare model
        var (x, y) = TextBatches.FromStreams(vocabulary.Encode(sample), hp.BatchSize, 0, hp.SeqLength, CPU);
        var batches = a.Int("batches", 0);
        var bareBatches = 0;
        if (!memoryOnly)
        {
            BareLoop(bare, bareOptimizer, x, y, hp, 2, bareHalf, bareKernel);                                // warm-up
            var probe = 2 * charsPerBatch / BareLoop(bare, bareOptimizer, x, y, hp, 2, bareHalf, bareKernel).Wall; // chars/s
            if (batches == 0) batches = (int)Math.Clamp(Math.Round(epochSeconds * probe / charsPerBatch), 2, 2000);
            bareBatches = Math.Max(2, batches / 2);
        }
        else
        {
            if (batches == 0) batches = 3;
        }
        var bareRuns = new List<(double Wall, double Cpu)>();

        // The corpus: train split = exactly `batches` batches of every stream, 90/5/5 like the seed preset.
        var trainChars = batches * charsPerBatch + hp.BatchSize;
        var corpus = BenchText.Generate((long)Math.Ceiling(trainChars / hp.TrainFraction) + 16);
        var corpusVocabulary = Vocabulary.Build(corpus, VocabularyKinds.Chars);
        if (corpusVocabulary.Size != v) throw new InvalidOperationException("the generated corpus changed its alphabet");
        var splits = CorpusSplits.From(corpusVocabulary.Encode(corpus), v, hp);
        var epochTrainChars = TextBatches.StreamLength(splits.Train, hp.BatchSize) * hp.BatchSize;

        using var store = connection is null ? null : new RunStore(connection);
        var owner = $"bench/{Guid.NewGuid():N}";
        if (store is not null && await store.Life.AcquireLeaseAsync(runId, owner, TimeSpan.FromHours(1), CancellationToken.None) is null)
        {
            throw new InvalidOperationException($"bench: could not take the lease of run {runId}");
        }
        try
        {
            double trainSeconds = 0, validationSeconds = 0, checkpointSeconds = 0, waitSeconds = 0, fullSeconds = 0, fullCpuSeconds = 0, lastCommitSeconds = 0;
            var matmul = new List<(double Best, double Matmul, double OneDnn)>(); // the float32 product ceiling, MKL's and oneDNN's
            var roundRates = new List<double>();         // full loop chars/s of each round
            var matmulHalf = new List<double>(); // bfloat16 products, for a loop with precision: bfloat16
            var kernelNotes = new List<string>();
            var warmUpSeconds = 0.0;
            manual_seed(hp.Seed);
            var trainer = new Trainer(cell, splits, CPU);
            // The full loop as TrainRunJob runs it: each epoch's commit in flight while the next epoch trains, and each
            // checkpoint written into the arrays of one whose commit has finished; a round ends as a run does, waiting
            // for its last commit (not counted in the round's time).
            var committer = store is null ? null : new EpochCommitter(store, runId, owner);
            try
            {
                // The machine's matrix-multiply ceiling before the first round and after the last, and a bare loop
                // before, between and after the rounds, in this process: contention from other processes that comes
                // and goes lowers them alike, and each round is compared with the bare loops on either side of it.
                if (!memoryOnly)
                {
                    // One untimed epoch first, with its checkpoint and commit: what a Worker pays once per process and
                    // shape (the kernel checks of TrainingKernel, oneDNN compiling its kernels, a checkpoint's first
                    // arrays) is not a per-epoch overhead; its cost is reported.
                    var first = Stopwatch.StartNew();
                    var report = trainer.RunEpoch(CancellationToken.None);
                    if (committer is not null)
                    {
                        await committer.StartAsync(trainer.ParameterCount, report, trainer.SaveCheckpoint(), report.IsBest, trainer.BestEpoch, CancellationToken.None);
                        await committer.FlushAsync(CancellationToken.None);
                    }
                    warmUpSeconds = first.Elapsed.TotalSeconds;
                    matmul.Add(Ceilings.Float32Flops());
                    if (hp.IsBFloat16) matmulHalf.Add(Ceilings.MatmulFlops(dtype: ScalarType.BFloat16));
                }
                for (var round = 0; round < rounds; round++)
                {
                    if (!memoryOnly) bareRuns.Add(BareLoop(bare, bareOptimizer, x, y, hp, bareBatches, bareHalf, bareKernel));
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    for (var e = 0; e < epochs; e++)
                    {
                        var epochStart = clock.Elapsed.TotalSeconds;
                        var report = trainer.RunEpoch(CancellationToken.None);
                        var afterEpoch = clock.Elapsed.TotalSeconds;
                        var last = trainer.SaveCheckpoint(reuse: committer?.TakeCommitted());
                        var afterSave = clock.Elapsed.TotalSeconds;
                        if (committer is not null) await committer.StartAsync(trainer.ParameterCount, report, last, report.IsBest, trainer.BestEpoch, CancellationToken.None);
                        var train = epochTrainChars / report.CharsPerSecond;
                        trainSeconds += train;
                        validationSeconds += afterEpoch - epochStart - train;
                        checkpointSeconds += afterSave - afterEpoch;
                        waitSeconds += clock.Elapsed.TotalSeconds - afterSave;
                    }
                    var roundSeconds = clock.Elapsed.TotalSeconds;
                    fullSeconds += roundSeconds;
                    fullCpuSeconds += (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                    roundRates.Add(epochTrainChars * epochs / roundSeconds);
                    if (committer is not null) await committer.FlushAsync(CancellationToken.None);
                    lastCommitSeconds = Math.Max(lastCommitSeconds, clock.Elapsed.TotalSeconds - roundSeconds);
                }
                if (!memoryOnly)
                {
                    bareRuns.Add(BareLoop(bare, bareOptimizer, x, y, hp, bareBatches, bareHalf, bareKernel));   // after the last round
                    matmul.Add(Ceilings.Float32Flops());
                    if (hp.IsBFloat16) matmulHalf.Add(Ceilings.MatmulFlops(dtype: ScalarType.BFloat16));
                }
                kernelNotes.AddRange(trainer.TakeKernelNotes());
                if (a.Has("checkpoints") && store is not null) await CheckpointFiguresAsync(cell, splits, trainer, store, runId, owner, label);
            }
            finally
            {
                if (committer is not null) await committer.DisposeAsync();
                trainer.Dispose();
            }
            if (memoryOnly)
            {
                var peakOnly = ProcessMemory.PeakResidentBytes() / 1e9;
                new BenchFigure("7 memory", $"{label} training, peak resident", peakOnly, "GB", "< 1.5", peakOnly < 1.5,
                    $"VmHWM of a Worker process that only trains: {epochs} epochs of {batches} batches {hp.BatchSize}x{hp.SeqLength} with validation, " +
                    "SaveCheckpoint and CommitEpochAsync (the latest checkpoint with Adam state, the best without) against PostgreSQL").Print();
                return;
            }
            var bareChars = (double)bareBatches * charsPerBatch;                   // per bare loop
            var bareRate = bareRuns.Count * bareChars / bareRuns.Sum(r => r.Wall);
            var bareCpuRate = bareRuns.Count * bareChars / bareRuns.Sum(r => r.Cpu);
            var fullChars = (double)epochTrainChars * epochs * rounds;
            var fullRate = fullChars / fullSeconds;
            var fullCpuRate = fullChars / fullCpuSeconds;
            var trainRate = fullChars / trainSeconds;
            // Each round against the two bare loops on either side of it (their chars over their wall time); the figure
            // is the median round, so one round or bare loop caught by a burst of contention does not decide it.
            var roundRatios = roundRates.Select((rate, r) => rate / (2 * bareChars / (bareRuns[r].Wall + bareRuns[r + 1].Wall))).ToArray();
            var ratio = BenchStatistics.Median(roundRatios);
            var pooled = rounds > 1 ? $" (all {rounds} rounds and {bareRuns.Count} bare loops pooled)" : "";
            var how = $"{(rounds > 1 ? $"{rounds} rounds of " : "")}{epochs} epochs of {epochTrainChars:N0} train chars ({batches} batches {hp.BatchSize}x{hp.SeqLength}, {input}, {threads} threads, V={v}), " +
                      $"each epoch's commit in flight while the next trains (EpochCommitter, as TrainRunJob); " +
                      $"bare {bareBatches} batches {(rounds > 1 ? "before, between and after the rounds" : "before the epochs and after them")}: {string.Join(" / ", bareRuns.Select(r => (bareChars / r.Wall).ToString("N0")))} chars/s; " +
                      (rounds > 1 ? $"each round over the two bare loops beside it: {string.Join(" / ", roundRatios.Select(r => r.ToString("0.000")))} (the figure: their median); " : "") +
                      $"by this process's CPU time instead of wall time{pooled}: {fullCpuRate / bareCpuRate:0.000}; full loop split{pooled}: train loop {trainSeconds / fullSeconds:P0}, " +
                      $"validation {validationSeconds / fullSeconds:P1}, SaveCheckpoint {checkpointSeconds / fullSeconds:P1}, waiting for the previous commit {waitSeconds / fullSeconds:P1}; " +
                      $"the last commit, waited for at the end of {(rounds > 1 ? "a round (the longest)" : "the run")}: {lastCommitSeconds:0.00} s" +
                      (store is null ? " (no database)" : "") + $"; kernels: {(kernelNotes.Count > 0 ? string.Join(" | ", kernelNotes) : "the bfloat16 copy's steps on oneDNN")}; " +
                      $"the untimed first epoch{(store is null ? ", without a checkpoint" : ", with its checkpoint and commit")}: {warmUpSeconds:0.0} s against {fullSeconds / (epochs * rounds):0.0} s for a timed one with its commit";
            new BenchFigure("1 loop overhead", $"{label} full/bare", ratio, "ratio", ">= 0.95", ratio >= 0.95, how).Print();
            new BenchFigure("1 loop overhead", $"{label} train loop only/bare", trainRate / bareRate, "ratio", "", null,
                $"Trainer's batch loop alone (data, forward, backward, clipping with gradient norm, step, loss.item per batch) without validation and checkpoints{pooled}").Print();
            new BenchFigure("1 loop overhead", $"{label} full loop", fullRate, "chars/s", "", null, $"bare {bareRate:N0} chars/s{pooled}").Print();

            var processor = Processor.Read();
            var ceiling = matmul.Average(m => m.Best);
            var ceilings = string.Join(" / ", matmul.Select(m => $"{m.Best / 1e9:0.0} (MKL matmul {m.Matmul / 1e9:0.0}, oneDNN {m.OneDnn / 1e9:0.0})"));
            var fullFlops = fullRate * flopsPerChar;
            var big = layers == 3 && hidden == 512;
            // The goal is against the ceiling of the loop's own number format: bfloat16 products for precision: bfloat16.
            var own = hp.IsBFloat16 ? matmulHalf.Average() : ceiling;
            var ownName = hp.IsBFloat16 ? "bfloat16 matmul ceiling" : "matmul ceiling";
            new BenchFigure("2 hardware use", $"{label} full loop / {ownName}", fullFlops / own, "ratio", big ? ">= 0.7" : "", big ? fullFlops / own >= 0.7 : null,
                $"{fullFlops / 1e9:0.0} GFLOP/s = {fullRate:N0} chars/s x {flopsPerChar / 1e6:0.00} MFLOP/char (6 x forward MACs) over {own / 1e9:0.0} GFLOP/s, " +
                (hp.IsBFloat16
                    ? $"the bfloat16 (oneDNN on) {Ceilings.MatmulSize}x{Ceilings.MatmulSize} matrix product through the same libtorch at {threads} threads in this process, before and after the loop ({string.Join(" / ", matmulHalf.Select(m => (m / 1e9).ToString("0.0")))})"
                    : $"the faster of libtorch's two float32 {Ceilings.MatmulSize}x{Ceilings.MatmulSize} products (MKL's matmul; oneDNN's, as a 1x1 convolution) at {threads} threads in this process, before and after the loop ({ceilings})") +
                $"; bare loop {bareRate * flopsPerChar / own:0.000}; {processor.Description}").Print();
            if (hp.IsBFloat16)
            {
                new BenchFigure("2 hardware use", $"{label} full loop / float32 matmul ceiling", fullFlops / ceiling, "ratio", "", null,
                    $"the same {fullFlops / 1e9:0.0} GFLOP/s over the float32 product's {ceiling / 1e9:0.0} GFLOP/s measured beside it " +
                    $"({ceilings}): how much faster than float32 could ever be").Print();
            }
            if (processor.PeakFlops is { } peak)
            {
                var threadPeak = peak * Math.Min(threads, processor.Cores) / processor.Cores;
                new BenchFigure("2 hardware use", $"{label} full loop / nominal peak", fullFlops / threadPeak, "ratio", "", null,
                    $"{fullFlops / 1e9:0.0} GFLOP/s over the nominal peak of the {threads} core(s) it used: {processor.PeakHow}" +
                    (threads < processor.Cores ? $", x {threads}/{processor.Cores}" : "") + $"; the matmul ceiling is {ceiling / threadPeak:0.000} of it").Print();
            }
        }
        finally
        {
            if (store is not null) await store.Life.ReleaseLeaseAsync(runId, owner, CancellationToken.None);
        }
    }

    /// <summary>Save and load of the trained model's checkpoint with Adam state, as TrainRunJob does them.</summary>
    private static async Task CheckpointFiguresAsync(CellSpec cell, CorpusSplits splits, Trainer trainer, RunStore store, long runId, string owner, string label)
    {
        var save = Stopwatch.StartNew();
        var checkpoint = trainer.SaveCheckpoint();
        var serialize = save.Elapsed.TotalSeconds;
        var report = new EpochReport(checkpoint.Epoch, 1, 1, 0, 1e-3, 1, 1, 1, IsBest: false);
        var write = Stopwatch.StartNew();
        if (await store.CommitEpochAsync(runId, owner, trainer.ParameterCount, report, checkpoint, false, trainer.BestEpoch, CancellationToken.None) is null)
        {
            throw new InvalidOperationException("bench: lease lost");
        }
        var written = write.Elapsed.TotalSeconds;
        var bytes = checkpoint.ModelState.Length + checkpoint.OptimizerState.Length;

        var load = Stopwatch.StartNew();
        var loaded = await store.LoadCheckpointAsync(runId, CheckpointKind.Latest, CancellationToken.None) ?? throw new InvalidOperationException("checkpoint not found");
        var read = load.Elapsed.TotalSeconds;
        using (new Trainer(cell, splits, CPU, loaded)) { }
        var restore = load.Elapsed.TotalSeconds - read;

        new BenchFigure("6 checkpoints", $"{label} save", serialize + written, "s", "< 2", serialize + written < 2,
            $"SaveCheckpoint {serialize:0.000} s + CommitEpochAsync (upsert of the latest checkpoint and metrics) {written:0.000} s").Print();
        new BenchFigure("6 checkpoints", $"{label} load", read + restore, "s", "< 2", read + restore < 2,
            $"LoadCheckpointAsync {read:0.000} s + new Trainer(..., checkpoint) (build model, load weights, Adam state, RNG) {restore:0.000} s").Print();
        new BenchFigure("6 checkpoints", $"{label} size", bytes / 1e6, "MB", "", null,
            $"model {checkpoint.ModelState.Length / 1e6:0.0} MB + Adam state {checkpoint.OptimizerState.Length / 1e6:0.0} MB (float32), stored as bytea").Print();
    }

    /// <returns>Wall and process CPU seconds of <paramref name="batches"/> forward / backward / step iterations.</returns>
    /// <param name="kernel">The kernel decisions of the model's run: a float32 step then runs on the kernel the Trainer
    /// would choose for it (<see cref="TrainingKernel"/>). Null: the caller has set libtorch's oneDNN switch itself.</param>
    internal static (double Wall, double Cpu) BareLoop(CharRnn model, optim.Optimizer optimizer, Tensor x, Tensor y, Hyperparameters hp, int batches,
        BFloat16Step? half = null, TrainingKernel? kernel = null)
    {
        model.train();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < batches; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            if (half is not null)
            {
                half.ForwardBackward(x, y, half.ZeroState(hp.BatchSize, CPU), 1);
            }
            else
            {
                using var state = model.ZeroState(hp.BatchSize, CPU);
                using var oneDnn = kernel?.ForStep(model, x, y, state).Enter();
                var (logits, _) = model.Forward(x, state);                             // (B, T, V)
                var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1));
                loss.backward();
            }
            optimizer.step();
        }
        return (clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }
}
