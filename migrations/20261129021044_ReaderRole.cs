using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RnnSweep.Migrations;

/// <summary>
/// A read-only role for people who query results with psql: <c>grant rnnsweep_reader to alice;</c>.
/// It may select every table and view, now and later, and write nothing.
/// </summary>
public partial class ReaderRole : Migration
{
    public const string Role = "rnnsweep_reader";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // Roles belong to the whole server: create it once, and carry on where the migrating user may not create
        // roles (a managed database); an administrator then creates it and the grants below apply on the next run.
        migrationBuilder.Sql($$"""
            do $$
            begin
              if not exists (select from pg_roles where rolname = '{{Role}}') then
                create role {{Role}} nologin;
              end if;
            exception when insufficient_privilege then
              raise notice 'cannot create role {{Role}}: ask an administrator to create it';
            end $$;

            do $$
            begin
              if exists (select from pg_roles where rolname = '{{Role}}') then
                execute 'grant usage on schema public to {{Role}}';
                execute 'grant select on all tables in schema public to {{Role}}';
                execute 'alter default privileges in schema public grant select on tables to {{Role}}';
              end if;
            end $$;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql($$"""
            do $$
            begin
              if exists (select from pg_roles where rolname = '{{Role}}') then
                execute 'revoke select on all tables in schema public from {{Role}}';
                execute 'alter default privileges in schema public revoke select on tables from {{Role}}';
                execute 'revoke usage on schema public from {{Role}}';
              end if;
            end $$;
            """);
    }
}
