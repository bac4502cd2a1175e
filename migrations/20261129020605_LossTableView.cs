using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations;

/// <summary>
/// Views for people who query results with psql: one row per grid cell with its losses
/// (nats per character, as the paper's Table 1, and bits per character).
/// </summary>
public partial class LossTableView : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
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
                   r.finished_at
            from runs r
            join sweeps s on s.id = r.sweep_id
            join corpora c on c.id = s.corpus_id;

            comment on view loss_table is 'One row per grid cell: losses of the best checkpoint in nats per character (full passes, dropout off).';
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("drop view if exists loss_table;");
    }
}
