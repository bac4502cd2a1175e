using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations
{
    /// <summary>
    /// Checkpoint bytes are stored without compression (storage <c>external</c>: out of line, never compressed).
    /// Trained float32 weights and Adam moments do not compress: pglz tried on every 65 MB commit of an LSTM 3x512
    /// and stored it at full size, costing the server about 0.7 s of CPU per epoch (1.1-1.4 s against 0.46 s for the
    /// same insert, measured in docs/benchmarks.md) while the Worker's next epoch trained on the same cores.
    /// Rows stored before keep their form; the next commit of a run writes the new one.
    /// </summary>
    public partial class CheckpointStorage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("alter table checkpoints alter column model_state set storage external, alter column optimizer_state set storage external;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("alter table checkpoints alter column model_state set storage extended, alter column optimizer_state set storage extended;");
        }
    }
}
