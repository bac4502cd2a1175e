using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations
{
    /// <summary>
    /// Grids beyond model x layers x size: each run's seed and axis values (<c>runs.axes</c>) join its cell in the unique
    /// key, each run gets an estimated cost (dispatch longest first), and two views aggregate a cell's runs beside
    /// <c>loss_table</c>: <c>loss_table_best</c> (the run validation chose) and <c>loss_table_mean</c> (mean and
    /// standard deviation over seeds, per setting of the other axes).
    /// </summary>
    public partial class SweepAxes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(name: "ix_runs_sweep_id_model_layers_size", table: "runs");

            migrationBuilder.AddColumn<string>(
                name: "axes",
                table: "runs",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'{}'::jsonb",
                comment: "the values of the sweep's extra axes this run trains with, e.g. {\"dropout\": 0.25}; {} without axes (the seed is its own column)");

            migrationBuilder.AddColumn<double>(
                name: "estimated_cost",
                table: "runs",
                type: "double precision",
                nullable: true,
                comment: "parameters x characters per epoch x epoch cap at submission; runs are dispatched in decreasing order of it");

            migrationBuilder.CreateIndex(
                name: "ix_runs_sweep_id_model_layers_size_seed_axes",
                table: "runs",
                columns: new[] { "sweep_id", "model", "layers", "size", "seed", "axes" },
                unique: true);

            migrationBuilder.Sql(Views);
        }

        /// <summary>
        /// Both views have one row per cell (model, layers, size) of a sweep, or per cell and setting of the axes.
        /// Only succeeded runs count towards a choice or a mean; <c>runs</c> says how many the cell has in all.
        /// </summary>
        private const string Views = """
            create view loss_table_best as
            select distinct on (r.sweep_id, r.model, r.layers, r.size)
                   r.sweep_id, r.model, r.layers, r.size,
                   r.id as run_id, r.hidden, r.seed, r.axes, r.status, r.epochs_done, r.max_epochs,
                   r.train_loss, r.val_loss, r.test_loss, r.stop_reason,
                   count(*) over cell as runs,
                   count(*) filter (where r.status = 'succeeded' and r.val_loss is not null) over cell as succeeded
            from runs r
            window cell as (partition by r.sweep_id, r.model, r.layers, r.size)
            order by r.sweep_id, r.model, r.layers, r.size, (r.status = 'succeeded' and r.val_loss is not null) desc, r.val_loss, r.id;

            comment on view loss_table_best is 'One row per grid cell: of its runs (seeds x axis values), the succeeded one with the lowest validation loss, with the seed and axis values chosen; losses in nats per character.';

            create view loss_table_mean as
            select r.sweep_id, r.model, r.layers, r.size, r.axes,
                   count(*) as runs,
                   count(*) filter (where r.status = 'succeeded' and r.test_loss is not null) as n,
                   avg(r.train_loss) filter (where r.status = 'succeeded' and r.test_loss is not null) as train_loss_mean,
                   stddev_samp(r.train_loss) filter (where r.status = 'succeeded' and r.test_loss is not null) as train_loss_sd,
                   avg(r.val_loss) filter (where r.status = 'succeeded' and r.test_loss is not null) as val_loss_mean,
                   stddev_samp(r.val_loss) filter (where r.status = 'succeeded' and r.test_loss is not null) as val_loss_sd,
                   avg(r.test_loss) filter (where r.status = 'succeeded' and r.test_loss is not null) as test_loss_mean,
                   stddev_samp(r.test_loss) filter (where r.status = 'succeeded' and r.test_loss is not null) as test_loss_sd,
                   array_agg(r.id order by r.seed, r.id) as run_ids,
                   array_agg(r.seed order by r.seed, r.id) as seeds,
                   min(r.hidden) as hidden,
                   sum(r.epochs_done)::int as epochs_done,
                   sum(r.max_epochs)::int as max_epochs,
                   case when bool_and(r.status = 'succeeded') then 'succeeded'
                        when bool_or(r.status = 'running') then 'running'
                        when bool_or(r.status = 'queued') then 'queued'
                        else min(r.status) filter (where r.status <> 'succeeded') end as status,
                   row_number() over (partition by r.sweep_id, r.model, r.layers, r.size
                                      order by avg(r.val_loss) filter (where r.status = 'succeeded' and r.test_loss is not null) nulls last, r.axes) = 1 as chosen
            from runs r
            group by r.sweep_id, r.model, r.layers, r.size, r.axes;

            comment on view loss_table_mean is 'One row per grid cell and setting of the axes: mean and sample standard deviation over its succeeded seeds (n of runs); chosen marks the setting with the lowest mean validation loss in its cell.';

            do $$ begin
              if exists (select from pg_roles where rolname = 'rnnsweep_reader') then
                execute 'grant select on loss_table_best, loss_table_mean to rnnsweep_reader';
              end if;
            end $$;
            """;

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("drop view if exists loss_table_mean; drop view if exists loss_table_best;");

            migrationBuilder.DropIndex(name: "ix_runs_sweep_id_model_layers_size_seed_axes", table: "runs");

            migrationBuilder.DropColumn(name: "axes", table: "runs");

            migrationBuilder.DropColumn(name: "estimated_cost", table: "runs");

            migrationBuilder.CreateIndex(
                name: "ix_runs_sweep_id_model_layers_size",
                table: "runs",
                columns: new[] { "sweep_id", "model", "layers", "size" },
                unique: true);
        }
    }
}
