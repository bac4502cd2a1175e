using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations
{
    /// <summary>
    /// What changes during a run moves out of the submitted hyperparameters into columns: the epoch cap
    /// (<c>max_epochs</c>) and the kind of stop (<c>stop_kind</c>, beside the prose <c>stop_reason</c>); the learning
    /// rate of divergence restarts is derived from <c>divergence_retries</c>. <c>work_jobs</c> remembers the Hangfire
    /// job of pending work besides training. <c>loss_table</c> shows the lease and its expiry.
    /// </summary>
    public partial class RunLife : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "max_epochs",
                table: "runs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "stop_kind",
                table: "runs",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "work_jobs",
                columns: table => new
                {
                    kind = table.Column<string>(type: "text", nullable: false),
                    subject_id = table.Column<long>(type: "bigint", nullable: false),
                    job_id = table.Column<string>(type: "text", nullable: false),
                    dispatches = table.Column<int>(type: "integer", nullable: false),
                    dispatched_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_work_jobs", x => new { x.kind, x.subject_id });
                    table.CheckConstraint("work_jobs_kind_check", "kind in ('ngram_baseline','analysis','sample')");
                });

            // Existing runs: the cap they were patched to, their stop kind read once from the prose, and the learning
            // rate as submitted (restarts had halved it inside the record).
            migrationBuilder.Sql("""
                update runs set max_epochs = (hyperparameters->>'maxEpochs')::int;
                update runs set stop_kind = case
                    when stop_reason like 'reached maxEpochs %' then 'max_epochs'
                    when stop_reason like 'validation loss did not improve%' then 'early_stopping'
                    when status = 'diverged' then 'divergence' end
                  where stop_reason is not null;
                update runs set hyperparameters = jsonb_set(hyperparameters, '{learningRate}',
                    to_jsonb((hyperparameters->>'learningRate')::float8 * power(2, divergence_retries)))
                  where divergence_retries > 0;
                """);

            migrationBuilder.AddCheckConstraint(
                name: "runs_stop_kind_check",
                table: "runs",
                sql: "stop_kind in ('early_stopping','max_epochs','divergence')");

            migrationBuilder.Sql("drop view if exists loss_table;");
            migrationBuilder.Sql(LossTableWithLease);
        }

        /// <summary>
        /// loss_table with the epoch cap, the stop kind and the lease: a running run whose lease lapsed says so
        /// (<c>lease_expired_seconds</c>, <c>lease_state</c> 'expired: waiting for takeover') instead of looking alive.
        /// </summary>
        private const string LossTableWithLease = """
            create view loss_table as
            select s.id               as sweep_id,
                   s.name             as sweep,
                   c.name             as corpus,
                   r.id               as run_id,
                   r.model,
                   r.layers,
                   r.hidden,
                   r.size,
                   r.model || ' ' || r.layers || 'x' || r.hidden as cell,
                   r.parameter_count,
                   r.status,
                   r.epochs_done,
                   r.best_epoch,
                   r.train_loss,
                   r.val_loss,
                   r.test_loss,
                   r.test_loss / ln(2) as test_bits_per_char,
                   r.stop_reason,
                   r.error,
                   r.started_at,
                   r.finished_at,
                   r.max_epochs,
                   r.stop_kind,
                   r.lease_owner,
                   r.lease_expires_at,
                   case when r.status = 'running' and r.lease_expires_at < now()
                        then floor(extract(epoch from now() - r.lease_expires_at))::int end as lease_expired_seconds,
                   case when r.status = 'running' and (r.lease_expires_at is null or r.lease_expires_at < now()) then 'expired: waiting for takeover'
                        when r.status = 'running' then 'held' end as lease_state
            from runs r
            join sweeps s on s.id = r.sweep_id
            join corpora c on c.id = s.corpus_id;

            comment on view loss_table is 'One row per grid cell: losses of the best checkpoint in nats per character (full passes, dropout off); lease_state says whether a running run''s Worker still holds it.';
            """;

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("drop view if exists loss_table;");
            migrationBuilder.Sql("""
                create view loss_table as
                select s.id as sweep_id, s.name as sweep, c.name as corpus, r.id as run_id, r.model, r.layers, r.hidden, r.size,
                       r.model || ' ' || r.layers || 'x' || r.hidden as cell, r.parameter_count, r.status, r.epochs_done, r.best_epoch,
                       r.train_loss, r.val_loss, r.test_loss, r.test_loss / ln(2) as test_bits_per_char, r.stop_reason, r.error,
                       r.started_at, r.finished_at
                from runs r join sweeps s on s.id = r.sweep_id join corpora c on c.id = s.corpus_id;
                """);

            migrationBuilder.DropTable(
                name: "work_jobs");

            migrationBuilder.DropCheckConstraint(
                name: "runs_stop_kind_check",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "max_epochs",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "stop_kind",
                table: "runs");
        }
    }
}
