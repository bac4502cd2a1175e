using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations
{
    /// <summary>
    /// samples.count: a request may ask for several texts, drawn in one pass (text i with seed + i), all of them in
    /// samples.texts (text keeps the first). Rows stored before get texts = {text}.
    /// </summary>
    public partial class SampleCount : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "count",
                table: "samples",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<string[]>(
                name: "texts",
                table: "samples",
                type: "text[]",
                nullable: true);

            migrationBuilder.Sql("update samples set texts = array[text] where text is not null;");

            migrationBuilder.AddCheckConstraint(
                name: "samples_count_check",
                table: "samples",
                sql: "count between 1 and 64");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "samples_count_check",
                table: "samples");

            migrationBuilder.DropColumn(
                name: "count",
                table: "samples");

            migrationBuilder.DropColumn(
                name: "texts",
                table: "samples");
        }
    }
}
