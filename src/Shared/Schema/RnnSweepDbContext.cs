using System.Text;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Schema;

/// <summary>
/// The results database. Table and column names are snake_case so that people querying with psql
/// read the same words as the API and the dashboard (<c>runs.test_loss</c>, <c>epoch_metrics.val_loss</c>).
/// </summary>
public sealed class RnnSweepDbContext(DbContextOptions<RnnSweepDbContext> options) : DbContext(options)
{
    public const string MigrationsAssembly = "RnnSweep.Migrations";

    public DbSet<Corpus> Corpora => Set<Corpus>();
    public DbSet<CorpusName> CorpusNames => Set<CorpusName>();
    public DbSet<CorpusChunk> CorpusChunks => Set<CorpusChunk>();
    public DbSet<Sweep> Sweeps => Set<Sweep>();
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<EpochMetric> EpochMetrics => Set<EpochMetric>();
    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();
    public DbSet<Sample> Samples => Set<Sample>();
    public DbSet<GateSaturation> GateSaturation => Set<GateSaturation>();
    public DbSet<CellActivation> CellActivations => Set<CellActivation>();
    public DbSet<InterpretableCell> InterpretableCells => Set<InterpretableCell>();
    public DbSet<InterpretableThreshold> InterpretableThresholds => Set<InterpretableThreshold>();
    public DbSet<TestPrediction> TestPredictions => Set<TestPrediction>();
    public DbSet<NGramPrediction> NGramPredictions => Set<NGramPrediction>();
    public DbSet<TestOracle> TestOracles => Set<TestOracle>();
    public DbSet<CharacterClassRow> CharacterClasses => Set<CharacterClassRow>();
    public DbSet<NGramBaseline> NGramBaselines => Set<NGramBaseline>();
    public DbSet<WorkJob> WorkJobs => Set<WorkJob>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Corpus>(e =>
        {
            e.ToTable("corpora");
            e.HasIndex(c => c.Sha256).IsUnique();
            e.Property(c => c.Recipe).HasColumnType("jsonb");
        });
        b.Entity<CorpusChunk>(e =>
        {
            e.ToTable("corpus_chunks");
            e.HasKey(x => new { x.CorpusId, x.Index });
            e.HasOne<Corpus>().WithMany().HasForeignKey(x => x.CorpusId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<CorpusName>(e =>
        {
            e.ToTable("corpus_names");
            e.HasKey(n => n.Name);
            e.HasOne(n => n.Corpus).WithMany().HasForeignKey(n => n.CorpusId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Sweep>(e =>
        {
            e.ToTable("sweeps");
            e.Property(s => s.Spec).HasColumnType("jsonb");
            e.HasIndex(s => s.SpecHash);
            e.HasIndex(s => s.IdempotencyKey).IsUnique();
            e.HasOne(s => s.Corpus).WithMany().HasForeignKey(s => s.CorpusId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<Run>(e =>
        {
            e.ToTable("runs", t =>
            {
                t.HasCheckConstraint("runs_status_check", $"status in ({SqlList(RunStatus.All)})");
                t.HasCheckConstraint("runs_stop_kind_check", $"stop_kind in ({SqlList(StopKind.All)})");
            });
            e.Property(r => r.Hyperparameters).HasColumnType("jsonb");
            e.Property(r => r.Axes).HasColumnType("jsonb").HasDefaultValueSql("'{}'::jsonb");
            e.HasIndex(r => new { r.SweepId, r.Model, r.Layers, r.Size, r.Seed, r.Axes }).IsUnique();
            e.HasIndex(r => r.Status);
            e.HasOne(r => r.Sweep).WithMany(s => s.Runs).HasForeignKey(r => r.SweepId).OnDelete(DeleteBehavior.Cascade);
            e.Ignore(r => r.Cell);
        });
        b.Entity<EpochMetric>(e =>
        {
            e.ToTable("epoch_metrics");
            e.HasKey(m => new { m.RunId, m.Epoch });
            e.HasOne<Run>().WithMany().HasForeignKey(m => m.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Checkpoint>(e =>
        {
            e.ToTable("checkpoints", t => t.HasCheckConstraint("checkpoints_kind_check", $"kind in ({SqlList(CheckpointKind.All)})"));
            e.HasKey(c => new { c.RunId, c.Kind });
            e.Property(c => c.TrainerState).HasColumnType("jsonb");
            e.HasOne<Run>().WithMany().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Sample>(e =>
        {
            e.ToTable("samples", t => t.HasCheckConstraint("samples_count_check", $"count between 1 and {SampleSettings.MaxCount}"));
            e.Property(x => x.Count).HasDefaultValue(1);
            e.HasIndex(x => x.RunId);
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<GateSaturation>(e =>
        {
            e.ToTable("gate_saturation");
            e.HasKey(x => new { x.RunId, x.Layer, x.Gate, x.Unit });
            // The GRU update gate is stored in the paper's convention (char-rnn's u = 1 - PyTorch's z): say so where people query.
            e.Property(x => x.Gate).HasComment(Schema.GateSaturation.GateComment);
            e.Property(x => x.LeftFraction).HasComment("fraction of time steps with the gate < 0.1; for gate 'update' the gate is the paper's 1 - z (PyTorch's z > 0.9)");
            e.Property(x => x.RightFraction).HasComment("fraction of time steps with the gate > 0.9; for gate 'update' the gate is the paper's 1 - z (PyTorch's z < 0.1)");
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<CellActivation>(e =>
        {
            e.ToTable("cell_activations");
            e.HasKey(x => x.RunId);
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<InterpretableCell>(e =>
        {
            e.ToTable("interpretable_cells");
            e.HasKey(x => new { x.RunId, x.Feature, x.Rank });
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.Threshold).HasComment("the |r| the feature's nulls reach (interpretable_thresholds.threshold); |correlation| exceeds it");
        });
        b.Entity<InterpretableThreshold>(e =>
        {
            e.ToTable("interpretable_thresholds", t => t.HasComment(
                "per run and feature: the largest |r| of any unit under circular shifts of the feature within each validation stream (shift_threshold) " +
                "and for the network's weights before training (initial_threshold); threshold is the larger, and only units above it are in interpretable_cells"));
            e.HasKey(x => new { x.RunId, x.Feature });
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<TestPrediction>(e =>
        {
            e.ToTable("test_predictions", t => t.HasComment("Section 4.2: per test-split position, the probability the run's best checkpoint gives the symbol there (NaN: not a scored target); see the views prediction_comparison and prediction_by_character"));
            e.HasKey(x => x.RunId);
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<NGramPrediction>(e =>
        {
            e.ToTable("ngram_predictions", t => t.HasComment("Section 4.2: the sweep's n-gram (largest order) probability of the symbol at every test-split position, and the symbols (code point or byte value)"));
            e.HasKey(x => x.SweepId);
            e.HasOne<Sweep>().WithMany().HasForeignKey(x => x.SweepId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<TestOracle>(e =>
        {
            e.ToTable("test_oracles", t => t.HasComment("Sections 4.2 and 4.3: per test-split position, facts any model's errors are explained by (n-gram oracle, dynamic memory, rare words, character classes, distance to an opener); see the views error_analysis, error_analysis_scaling, prediction_by_class and closing_by_distance"));
            e.HasKey(x => x.SweepId);
            e.HasOne<Sweep>().WithMany().HasForeignKey(x => x.SweepId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<CharacterClassRow>(e =>
        {
            e.ToTable("character_classes", t => t.HasComment("the character classes of test_oracles.character_class and previous_class"));
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.HasData(Enum.GetValues<CharacterClass>().Select(c => new CharacterClassRow { Id = (short)c, Name = c.Name() }));
        });
        b.Entity<NGramBaseline>(e =>
        {
            e.ToTable("ngram_baselines");
            e.HasKey(x => new { x.SweepId, x.Order });
            e.HasOne<Sweep>().WithMany().HasForeignKey(x => x.SweepId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<WorkJob>(e =>
        {
            e.ToTable("work_jobs", t => t.HasCheckConstraint("work_jobs_kind_check", $"kind in ({SqlList(WorkKind.All)})"));
            e.HasKey(x => new { x.Kind, x.SubjectId });
        });

        foreach (var entity in b.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties()) property.SetColumnName(SnakeCase(property.Name));
            foreach (var key in entity.GetKeys()) key.SetName(SnakeCase(key.GetName()!));
            foreach (var fk in entity.GetForeignKeys()) fk.SetConstraintName(SnakeCase(fk.GetConstraintName()!));
            foreach (var index in entity.GetIndexes()) index.SetDatabaseName(SnakeCase(index.GetDatabaseName()!));
        }
        b.Entity<Corpus>().Property(c => c.Sha256).HasColumnName("sha256");
    }

    /// <summary>A closed set as an SQL list of literals, for check constraints: the spelling comes from its C# type.</summary>
    private static string SqlList(IEnumerable<string> values) => string.Join(",", values.Select(v => $"'{v}'"));

    private static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && name[i - 1] != '_' && !char.IsUpper(name[i - 1])) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
