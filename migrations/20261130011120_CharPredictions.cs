using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations
{
    /// <inheritdoc />
    public partial class CharPredictions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ngram_predictions",
                columns: table => new
                {
                    sweep_id = table.Column<long>(type: "bigint", nullable: false),
                    order = table.Column<int>(type: "integer", nullable: false),
                    symbols = table.Column<int[]>(type: "integer[]", nullable: false),
                    probabilities = table.Column<float[]>(type: "real[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ngram_predictions", x => x.sweep_id);
                    table.ForeignKey(
                        name: "fk_ngram_predictions_sweeps_sweep_id",
                        column: x => x.sweep_id,
                        principalTable: "sweeps",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "Section 4.2: the sweep's n-gram (largest order) probability of the symbol at every test-split position, and the symbols (code point or byte value)");

            migrationBuilder.CreateTable(
                name: "test_predictions",
                columns: table => new
                {
                    run_id = table.Column<long>(type: "bigint", nullable: false),
                    probabilities = table.Column<float[]>(type: "real[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_test_predictions", x => x.run_id);
                    table.ForeignKey(
                        name: "fk_test_predictions_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "Section 4.2: per test-split position, the probability the run's best checkpoint gives the symbol there (NaN: not a scored target); see the views prediction_comparison and prediction_by_character");

            // Section 4.2 of the paper as views: each run's best checkpoint against its sweep's n-gram, position by
            // position over the test split (unnest of two arrays zips them). An error is a symbol given p < 0.5.
            migrationBuilder.Sql("""
                create view prediction_comparison as
                select t.run_id, r.sweep_id, n."order" as ngram_order,
                       count(*) as characters,
                       avg(u.model_p) as mean_p_model,
                       avg(u.ngram_p) as mean_p_ngram,
                       count(*) filter (where u.model_p < 0.5) as errors_model,
                       count(*) filter (where u.ngram_p < 0.5) as errors_ngram,
                       count(*) filter (where u.model_p < 0.5 and u.ngram_p < 0.5) as errors_both,
                       count(*) filter (where u.model_p < 0.5 and u.ngram_p >= 0.5) as errors_model_only,
                       count(*) filter (where u.model_p >= 0.5 and u.ngram_p < 0.5) as errors_ngram_only
                from test_predictions t
                join runs r on r.id = t.run_id
                join ngram_predictions n on n.sweep_id = r.sweep_id
                cross join lateral unnest(t.probabilities, n.probabilities) as u(model_p, ngram_p)
                where u.model_p <> 'NaN' and u.ngram_p <> 'NaN'
                group by t.run_id, r.sweep_id, n."order";
                comment on view prediction_comparison is 'Section 4.2 of the paper: per run, its best checkpoint against the sweep''s n-gram over the test split: mean probability of the correct symbol, and errors (p < 0.5) of each, of both and of one only';

                create view prediction_by_character as
                select t.run_id, r.sweep_id, u.symbol, case when u.symbol > 0 then chr(u.symbol) end as "character",
                       count(*) as occurrences,
                       avg(u.model_p) as mean_p_model,
                       avg(u.ngram_p) as mean_p_ngram
                from test_predictions t
                join runs r on r.id = t.run_id
                join ngram_predictions n on n.sweep_id = r.sweep_id
                cross join lateral unnest(t.probabilities, n.probabilities, n.symbols) as u(model_p, ngram_p, symbol)
                where u.model_p <> 'NaN' and u.ngram_p <> 'NaN'
                group by t.run_id, r.sweep_id, u.symbol;
                comment on view prediction_by_character is 'Section 4.2 of the paper: per run and test symbol (code point or byte value), the mean probability the best checkpoint and the sweep''s n-gram give it';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("drop view if exists prediction_by_character; drop view if exists prediction_comparison;");

            migrationBuilder.DropTable(
                name: "ngram_predictions");

            migrationBuilder.DropTable(
                name: "test_predictions");
        }
    }
}
