using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations
{
    /// <inheritdoc />
    public partial class InterpretableThresholds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The rows so far were the top 5 |r| of one 2,000-character excerpt with no null, so they would now read
            // as significant; a run's analysis job writes them again with their thresholds.
            migrationBuilder.Sql("delete from interpretable_cells;");

            migrationBuilder.AddColumn<double>(
                name: "threshold",
                table: "interpretable_cells",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0,
                comment: "the |r| the feature's nulls reach (interpretable_thresholds.threshold); |correlation| exceeds it");

            migrationBuilder.CreateTable(
                name: "interpretable_thresholds",
                columns: table => new
                {
                    run_id = table.Column<long>(type: "bigint", nullable: false),
                    feature = table.Column<string>(type: "text", nullable: false),
                    threshold = table.Column<double>(type: "double precision", nullable: false),
                    shift_threshold = table.Column<double>(type: "double precision", nullable: false),
                    initial_threshold = table.Column<double>(type: "double precision", nullable: true),
                    characters = table.Column<long>(type: "bigint", nullable: false),
                    streams = table.Column<int>(type: "integer", nullable: false),
                    shifts = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_interpretable_thresholds", x => new { x.run_id, x.feature });
                    table.ForeignKey(
                        name: "fk_interpretable_thresholds_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "per run and feature: the largest |r| of any unit under circular shifts of the feature within each validation stream (shift_threshold) and for the network's weights before training (initial_threshold); threshold is the larger, and only units above it are in interpretable_cells");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "interpretable_thresholds");

            migrationBuilder.DropColumn(
                name: "threshold",
                table: "interpretable_cells");
        }
    }
}
