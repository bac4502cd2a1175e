using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations
{
    /// <summary>
    /// corpus_chunks: a corpus's bytes in 16 MiB pieces instead of one field (PostgreSQL's 1 GB limit), its byte
    /// vocabulary size, and the recipe of a corpus built from source files.
    /// </summary>
    public partial class CorpusChunks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "byte_vocabulary_size",
                table: "corpora",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "chunks",
                table: "corpora",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "recipe",
                table: "corpora",
                type: "jsonb",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "corpus_chunks",
                columns: table => new
                {
                    corpus_id = table.Column<long>(type: "bigint", nullable: false),
                    index = table.Column<int>(type: "integer", nullable: false),
                    data = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_corpus_chunks", x => new { x.corpus_id, x.index });
                    table.ForeignKey(
                        name: "fk_corpus_chunks_corpora_corpus_id",
                        column: x => x.corpus_id,
                        principalTable: "corpora",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Corpora stored whole until now move into 16 MiB chunks (CorpusChunks.ChunkBytes), and get their byte
            // vocabulary counted; then the one field goes. The count looks for each of the 256 byte values in the
            // field (256 scans). One get_byte call per byte, as first written, fetched the whole field again for every
            // byte: over a minute for the 1.1 MB tinyshakespeare (not finished when stopped), where this takes 2 s.
            migrationBuilder.Sql("""
                insert into corpus_chunks (corpus_id, index, data)
                select c.id, g.i, substring(c.content from g.i * 16777216 + 1 for 16777216)
                from corpora c cross join lateral generate_series(0, (length(c.content) - 1) / 16777216) g(i)
                where length(c.content) > 0;
                update corpora c set
                  chunks = (select count(*) from corpus_chunks k where k.corpus_id = c.id),
                  byte_vocabulary_size = (select count(*) from generate_series(0, 255) b where position(set_byte('\x00'::bytea, 0, b) in c.content) > 0);
                do $$ begin
                  if exists (select from pg_roles where rolname = 'rnnsweep_reader') then
                    execute 'grant select on corpus_chunks to rnnsweep_reader';
                  end if;
                end $$;
                """);

            migrationBuilder.DropColumn(
                name: "content",
                table: "corpora");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "content",
                table: "corpora",
                type: "bytea",
                nullable: false,
                defaultValue: new byte[0]);

            migrationBuilder.Sql("""
                update corpora c set content = coalesce((select string_agg(k.data, ''::bytea order by k.index) from corpus_chunks k where k.corpus_id = c.id), ''::bytea);
                """);

            migrationBuilder.DropTable(
                name: "corpus_chunks");

            migrationBuilder.DropColumn(
                name: "byte_vocabulary_size",
                table: "corpora");

            migrationBuilder.DropColumn(
                name: "chunks",
                table: "corpora");

            migrationBuilder.DropColumn(
                name: "recipe",
                table: "corpora");
        }
    }
}
