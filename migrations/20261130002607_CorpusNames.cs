using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations
{
    /// <summary>corpus_names: every name a corpus was given (identical bytes are stored once, under many names).</summary>
    public partial class CorpusNames : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "corpus_names",
                columns: table => new
                {
                    name = table.Column<string>(type: "text", nullable: false),
                    corpus_id = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_corpus_names", x => x.name);
                    table.ForeignKey(
                        name: "fk_corpus_names_corpora_corpus_id",
                        column: x => x.corpus_id,
                        principalTable: "corpora",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_corpus_names_corpus_id",
                table: "corpus_names",
                column: "corpus_id");

            // Every corpus keeps the name it was stored under; the newest corpus of a name wins, as before.
            migrationBuilder.Sql("""
                insert into corpus_names (name, corpus_id, created_at)
                select distinct on (name) name, id, created_at from corpora order by name, id desc;
                do $$ begin
                  if exists (select from pg_roles where rolname = 'rnnsweep_reader') then
                    execute 'grant select on corpus_names to rnnsweep_reader';
                  end if;
                end $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "corpus_names");
        }
    }
}
