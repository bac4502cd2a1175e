using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace RnnSweep.Migrations
{
    /// <inheritdoc />
    public partial class ErrorAnalysis : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "character_classes",
                columns: table => new
                {
                    id = table.Column<short>(type: "smallint", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_character_classes", x => x.id);
                },
                comment: "the character classes of test_oracles.character_class and previous_class");

            migrationBuilder.CreateTable(
                name: "test_oracles",
                columns: table => new
                {
                    sweep_id = table.Column<long>(type: "bigint", nullable: false),
                    max_oracle_order = table.Column<int>(type: "integer", nullable: false),
                    ngram_order = table.Column<short[]>(type: "smallint[]", nullable: false),
                    memory_window = table.Column<short[]>(type: "smallint[]", nullable: false),
                    train_count = table.Column<short[]>(type: "smallint[]", nullable: false),
                    previous_class = table.Column<short[]>(type: "smallint[]", nullable: false),
                    character_class = table.Column<short[]>(type: "smallint[]", nullable: false),
                    opener_distance = table.Column<int[]>(type: "integer[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_test_oracles", x => x.sweep_id);
                    table.ForeignKey(
                        name: "fk_test_oracles_sweeps_sweep_id",
                        column: x => x.sweep_id,
                        principalTable: "sweeps",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                },
                comment: "Sections 4.2 and 4.3: per test-split position, facts any model's errors are explained by (n-gram oracle, dynamic memory, rare words, character classes, distance to an opener); see the views error_analysis, error_analysis_scaling, prediction_by_class and closing_by_distance");

            migrationBuilder.InsertData(
                table: "character_classes",
                columns: new[] { "id", "name" },
                values: new object[,]
                {
                    { (short)0, "other" },
                    { (short)1, "lowercase letter" },
                    { (short)2, "uppercase letter" },
                    { (short)3, "digit" },
                    { (short)4, "space" },
                    { (short)5, "line break" },
                    { (short)6, "punctuation" },
                    { (short)7, "quote" },
                    { (short)8, "opening bracket" },
                    { (short)9, "closing bracket" }
                });

            // Sections 4.2 and 4.3 of the paper as views: each run's probabilities (test_predictions) beside its sweep's
            // n-gram (ngram_predictions) and test_oracles, position by position (unnest of several arrays zips them).
            // An error is a symbol given p < 0.5; NaN (an unscored position) compares above every number, so it is
            // never an error, and is left out of every mean.
            migrationBuilder.Sql("""
                create view error_analysis as
                with scored as (
                    select t.run_id, (select count(*) from unnest(t.probabilities) p where p <> 'NaN') as characters
                    from test_predictions t
                ), labelled as (
                    select t.run_id, r.sweep_id, u.p, u.ngram_order, u.memory_window, u.train_count, u.previous_class, u.cls,
                           case when u.ngram_order > 0 then 1
                                when u.memory_window > 0 then 2
                                when u.train_count between 0 and 5 then 3
                                when u.previous_class in (4, 5, 7) then 4
                                when u.cls in (6, 7, 8, 9) then 5
                                when u.p >= 0.1 then 6
                                else 7 end as step
                    from test_predictions t
                    join runs r on r.id = t.run_id
                    join test_oracles o on o.sweep_id = r.sweep_id
                    cross join lateral unnest(t.probabilities, o.ngram_order, o.memory_window, o.train_count, o.previous_class, o.character_class)
                        as u(p, ngram_order, memory_window, train_count, previous_class, cls)
                    where u.p < 0.5
                ), detailed as (
                    select l.run_id, l.sweep_id, l.step,
                           case l.step when 1 then l.ngram_order when 2 then l.memory_window when 3 then l.train_count
                                       when 4 then l.previous_class when 5 then l.cls when 6 then ceil((0.5 - l.p) * 10)::int else 0 end as detail_order
                    from labelled l
                ), counted as (
                    select run_id, sweep_id, step, detail_order, count(*) as errors from detailed group by run_id, sweep_id, step, detail_order
                )
                select c.run_id, c.sweep_id, s.characters, (sum(c.errors) over (partition by c.run_id))::bigint as total_errors,
                       c.step, (array['n-gram', 'dynamic memory', 'rare words', 'word model', 'punctuation', 'boost', 'unexplained'])[c.step] as category,
                       c.detail_order,
                       case c.step when 1 then c.detail_order || '-gram'
                                   when 2 then 'within ' || c.detail_order
                                   when 3 then 'seen ' || c.detail_order || ' times in train'
                                   when 4 then 'after ' || k.name
                                   when 5 then k.name
                                   when 6 then '+0.' || c.detail_order
                                   else 'p < 0.1' end as detail,
                       c.errors,
                       c.errors::float8 / sum(c.errors) over (partition by c.run_id) as share
                from counted c
                join scored s on s.run_id = c.run_id
                left join character_classes k on k.id = c.detail_order and c.step in (4, 5);
                comment on view error_analysis is 'Section 4.3 of the paper: every test error (p < 0.5) of each run''s best checkpoint, peeled off by the first oracle that explains it, in the paper''s order: step 1 n-gram (the smallest n <= 9 whose n-gram gives p >= 0.5), 2 dynamic memory (a word''s later characters, the word seen within 100/500/1000/5000 characters before), 3 rare words (seen 0-5 times in the train split), 4 word model (after a space, line break or quote), 5 punctuation, 6 boost (p + 0.1 .. 0.4 reaches 0.5), 7 unexplained; share = errors / total_errors';

                create view error_analysis_scaling as
                with analysed as (
                    select r.id, r.sweep_id, r.model, r.layers, r.hidden, r.parameter_count,
                           row_number() over (partition by r.sweep_id, r.model order by r.parameter_count, r.id) as from_small,
                           row_number() over (partition by r.sweep_id, r.model order by r.parameter_count desc, r.id desc) as from_large
                    from runs r
                    where exists (select 1 from test_predictions t where t.run_id = r.id) and exists (select 1 from test_oracles o where o.sweep_id = r.sweep_id)
                ), pairs as (
                    select s.sweep_id, s.model, s.id as small_run, s.parameter_count as small_parameters, l.id as large_run, l.parameter_count as large_parameters
                    from analysed s join analysed l on l.sweep_id = s.sweep_id and l.model = s.model and l.from_large = 1
                    where s.from_small = 1 and s.parameter_count < l.parameter_count
                ), per_step as (
                    select run_id, step, category, sum(errors)::bigint as errors from error_analysis group by run_id, step, category
                ), steps as (
                    select step, (array['n-gram', 'dynamic memory', 'rare words', 'word model', 'punctuation', 'boost', 'unexplained'])[step] as category
                    from generate_series(1, 7) as step
                )
                select p.sweep_id, p.model, p.small_run, p.small_parameters, p.large_run, p.large_parameters, k.step, k.category,
                       coalesce(s.errors, 0) as small_errors, coalesce(l.errors, 0) as large_errors,
                       coalesce(s.errors, 0) - coalesce(l.errors, 0) as difference,
                       (coalesce(s.errors, 0) - coalesce(l.errors, 0))::float8 / nullif(sum(coalesce(s.errors, 0) - coalesce(l.errors, 0)) over (partition by p.sweep_id, p.model), 0) as share_of_difference
                from pairs p cross join steps k
                left join per_step s on s.run_id = p.small_run and s.step = k.step
                left join per_step l on l.run_id = p.large_run and l.step = k.step;
                comment on view error_analysis_scaling is 'Section 4.3 of the paper, small against large model: per sweep and model type, the analysed run with the fewest parameters beside the one with the most, errors per oracle step, and which steps the larger model''s fewer errors come from (share_of_difference)';

                create view prediction_by_class as
                select t.run_id, r.sweep_id, u.cls as class_id, c.name as character_class,
                       count(*) as occurrences,
                       avg(u.model_p) as mean_p_model,
                       avg(u.ngram_p) as mean_p_ngram,
                       count(*) filter (where u.model_p < 0.5) as errors_model,
                       count(*) filter (where u.ngram_p < 0.5) as errors_ngram
                from test_predictions t
                join runs r on r.id = t.run_id
                join ngram_predictions n on n.sweep_id = r.sweep_id
                join test_oracles o on o.sweep_id = r.sweep_id
                cross join lateral unnest(t.probabilities, n.probabilities, o.character_class) as u(model_p, ngram_p, cls)
                join character_classes c on c.id = u.cls
                where u.model_p <> 'NaN' and u.ngram_p <> 'NaN'
                group by t.run_id, r.sweep_id, u.cls, c.name;
                comment on view prediction_by_class is 'Section 4.2 of the paper: per run and character class, the mean probability of the correct symbol given by the best checkpoint and by the sweep''s n-gram, and the errors (p < 0.5) of each';

                create view closing_by_distance as
                select t.run_id, r.sweep_id, case when u.cls = 9 then 'bracket' else 'quote' end as closer,
                       b.distance_from, 2 * b.distance_from - 1 as distance_to,
                       count(*) as occurrences,
                       avg(u.model_p) as mean_p_model,
                       avg(u.ngram_p) as mean_p_ngram,
                       avg(ln(greatest(u.model_p::float8, 1e-30)) - ln(greatest(u.ngram_p::float8, 1e-30))) as mean_log_ratio
                from test_predictions t
                join runs r on r.id = t.run_id
                join ngram_predictions n on n.sweep_id = r.sweep_id
                join test_oracles o on o.sweep_id = r.sweep_id
                cross join lateral unnest(t.probabilities, n.probabilities, o.character_class, o.opener_distance) as u(model_p, ngram_p, cls, distance)
                cross join lateral (select (array[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096])
                                           [width_bucket(u.distance, array[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096])] as distance_from) b
                where u.distance > 0 and u.model_p <> 'NaN' and u.ngram_p <> 'NaN'
                group by t.run_id, r.sweep_id, 3, b.distance_from;
                comment on view closing_by_distance is 'Section 4.2 of the paper: at closing brackets and quotes, by the distance back to the opening one (bins distance_from .. distance_to characters), the mean probability of the closer given by the best checkpoint and by the sweep''s n-gram, and the mean of ln p_model - ln p_ngram (> 0: the model does better)';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("drop view if exists closing_by_distance; drop view if exists prediction_by_class; drop view if exists error_analysis_scaling; drop view if exists error_analysis;");

            migrationBuilder.DropTable(
                name: "character_classes");

            migrationBuilder.DropTable(
                name: "test_oracles");
        }
    }
}
