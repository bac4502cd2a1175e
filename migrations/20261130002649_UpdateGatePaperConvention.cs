using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations
{
    /// <inheritdoc />
    public partial class UpdateGatePaperConvention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<double>(
                name: "right_fraction",
                table: "gate_saturation",
                type: "double precision",
                nullable: false,
                comment: "fraction of time steps with the gate > 0.9; for gate 'update' the gate is the paper's 1 - z (PyTorch's z < 0.1)",
                oldClrType: typeof(double),
                oldType: "double precision");

            migrationBuilder.AlterColumn<double>(
                name: "left_fraction",
                table: "gate_saturation",
                type: "double precision",
                nullable: false,
                comment: "fraction of time steps with the gate < 0.1; for gate 'update' the gate is the paper's 1 - z (PyTorch's z > 0.9)",
                oldClrType: typeof(double),
                oldType: "double precision");

            migrationBuilder.AlterColumn<string>(
                name: "gate",
                table: "gate_saturation",
                type: "text",
                nullable: false,
                comment: "input, forget, output (LSTM); reset, update (GRU). update is the paper's (char-rnn's) update gate u = 1 - z of PyTorch's GRU: h' = u * candidate + (1 - u) * h",
                oldClrType: typeof(string),
                oldType: "text");

            // Rows measured before this migration hold PyTorch's z: turn them into the paper's u = 1 - z, whose
            // left and right saturation are z's right and left (SET reads the old values of both columns).
            migrationBuilder.Sql("update gate_saturation set left_fraction = right_fraction, right_fraction = left_fraction where gate = 'update';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("update gate_saturation set left_fraction = right_fraction, right_fraction = left_fraction where gate = 'update';");

            migrationBuilder.AlterColumn<double>(
                name: "right_fraction",
                table: "gate_saturation",
                type: "double precision",
                nullable: false,
                oldClrType: typeof(double),
                oldType: "double precision",
                oldComment: "fraction of time steps with the gate > 0.9; for gate 'update' the gate is the paper's 1 - z (PyTorch's z < 0.1)");

            migrationBuilder.AlterColumn<double>(
                name: "left_fraction",
                table: "gate_saturation",
                type: "double precision",
                nullable: false,
                oldClrType: typeof(double),
                oldType: "double precision",
                oldComment: "fraction of time steps with the gate < 0.1; for gate 'update' the gate is the paper's 1 - z (PyTorch's z > 0.9)");

            migrationBuilder.AlterColumn<string>(
                name: "gate",
                table: "gate_saturation",
                type: "text",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "text",
                oldComment: "input, forget, output (LSTM); reset, update (GRU). update is the paper's (char-rnn's) update gate u = 1 - z of PyTorch's GRU: h' = u * candidate + (1 - u) * h");
        }
    }
}
