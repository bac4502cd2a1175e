using Npgsql;
using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Database;

/// <summary>
/// libpq's connection URI (<c>postgresql://user:password@host:port/database?sslmode=require</c>, as psql takes it and as
/// <c>rnnsweep sweep</c> prints it) to and from Npgsql's key-value form (<c>Host=...;Username=...</c>), which is
/// what every RnnSweep process uses. Source: https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS
/// </summary>
public static class PostgresUrl
{
    private static readonly string[] Schemes = ["postgresql://", "postgres://"];

    /// <summary>libpq URI parameters RnnSweep passes on, and the Npgsql keyword of each.</summary>
    private static readonly Dictionary<string, string> Parameters = new(StringComparer.Ordinal)
    {
        ["host"] = "Host", ["port"] = "Port", ["dbname"] = "Database", ["user"] = "Username", ["password"] = "Password",
        ["sslmode"] = "SSL Mode", ["sslrootcert"] = "Root Certificate", ["sslcert"] = "SSL Certificate", ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password", ["application_name"] = "Application Name", ["connect_timeout"] = "Timeout",
        ["options"] = "Options", ["target_session_attrs"] = "Target Session Attributes", ["keepalives_idle"] = "Keepalive",
        ["channel_binding"] = "Channel Binding", ["passfile"] = "Passfile",
    };

    public static bool IsUrl(string connection) =>
        Schemes.Any(s => connection.TrimStart().StartsWith(s, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The Npgsql connection string for <paramref name="connection"/>, given in either form. Throws
    /// <see cref="ValidationException"/> naming <paramref name="source"/> (e.g. RNNSWEEP_CONNECTION) with a one-line reason
    /// when it is neither a valid URI nor a valid key-value string.
    /// </summary>
    public static string ToConnectionString(string connection, string source)
    {
        try
        {
            return IsUrl(connection)
                ? Parse(connection.Trim()).ConnectionString
                : new NpgsqlConnectionStringBuilder(connection).ConnectionString; // validates keys and values
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException or UriFormatException)
        {
            throw new ValidationException(source, $"not a PostgreSQL connection string or postgresql:// URL: {OneLine(e.Message)}. " +
                "Give e.g. 'Host=db.example;Port=5432;Database=rnnsweep;Username=rnnsweep;Password=...' or 'postgresql://rnnsweep:...@db.example:5432/rnnsweep'");
        }
    }

    /// <summary>
    /// The URI psql takes for <paramref name="connectionString"/> (key-value form), without its password; a pgpass file
    /// the connection names is kept (<c>?passfile=</c>, which libpq and this parser both read), so the URI still connects.
    /// </summary>
    public static string ForPsql(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var host = b.Host ?? "localhost";
        // A host list keeps its own ports (host1:5432,host2:5433); IPv6 addresses need brackets.
        var hostPart = host.Contains(',') ? host : $"{(host.Contains(':') ? $"[{host}]" : Uri.EscapeDataString(host))}:{b.Port}";
        var user = b.Username is { Length: > 0 } u ? Uri.EscapeDataString(u) + "@" : "";
        var parameters = new List<string>();
        if (b.SslMode is SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull)
            parameters.Add("sslmode=" + b.SslMode.ToString().ToLowerInvariant().Replace("verify", "verify-"));
        if (b.Passfile is { Length: > 0 } passfile) parameters.Add("passfile=" + Uri.EscapeDataString(passfile));
        var query = parameters.Count > 0 ? "?" + string.Join("&", parameters) : "";
        return $"postgresql://{user}{hostPart}/{Uri.EscapeDataString(b.Database ?? "")}{query}";
    }

    private static NpgsqlConnectionStringBuilder Parse(string url)
    {
        var scheme = Schemes.First(s => url.StartsWith(s, StringComparison.OrdinalIgnoreCase));
        var rest = url[scheme.Length..];
        var b = new NpgsqlConnectionStringBuilder();
        var queryStart = rest.IndexOf('?');
        var query = queryStart >= 0 ? rest[(queryStart + 1)..] : "";
        if (queryStart >= 0) rest = rest[..queryStart];
        var pathStart = rest.IndexOf('/');
        var authority = pathStart >= 0 ? rest[..pathStart] : rest;
        if (pathStart >= 0 && rest[(pathStart + 1)..] is { Length: > 0 } database) b.Database = Decode(database, "database");

        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            b.Username = Decode(colon >= 0 ? userInfo[..colon] : userInfo, "user");
            if (colon >= 0) b.Password = Decode(userInfo[(colon + 1)..], "password");
        }
        if (authority.Length > 0)
        {
            var hosts = authority.Split(',').Select(HostAndPort).ToList();
            if (hosts.Count == 1)
            {
                b.Host = hosts[0].Host;
                if (hosts[0].Port is { } port) b.Port = port;
            }
            else
            {
                // A host list keeps each host's port inline (host1:5432,host2:5433), as Npgsql's Host takes it.
                b.Host = string.Join(",", hosts.Select(h => h.Port is { } p ? $"{(h.Host.Contains(':') ? $"[{h.Host}]" : h.Host)}:{p}" : h.Host));
            }
        }

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new FormatException($"the query parameter '{pair}' has no value");
            var key = Decode(pair[..eq], "parameter");
            var value = Decode(pair[(eq + 1)..], key);
            if (!Parameters.TryGetValue(key, out var keyword))
            {
                throw new FormatException($"unknown parameter '{key}' (known: {string.Join(", ", Parameters.Keys)})");
            }
            // libpq spells SSL modes with hyphens (verify-full); Npgsql's names have none (VerifyFull).
            try
            {
                b[keyword] = key == "sslmode" ? value.Replace("-", "") : value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                throw new FormatException($"{key}={value} is not valid ({OneLine(e.Message)})");
            }
        }
        if (string.IsNullOrEmpty(b.Host)) throw new FormatException("it names no host (postgresql://HOST/...)");
        return b;
    }

    /// <summary>One host of the authority: <c>name</c>, <c>name:port</c>, <c>[v6]</c> or <c>[v6]:port</c>.</summary>
    private static (string Host, int? Port) HostAndPort(string part)
    {
        string host, port = "";
        if (part.StartsWith('['))
        {
            var close = part.IndexOf(']');
            if (close < 0) throw new FormatException($"'{part}' opens an IPv6 address with '[' but does not close it");
            host = part[1..close];
            var after = part[(close + 1)..];
            if (after.Length > 0 && !after.StartsWith(':')) throw new FormatException($"unexpected '{after}' after the IPv6 address");
            port = after.TrimStart(':');
        }
        else
        {
            var colon = part.LastIndexOf(':');
            host = colon >= 0 ? part[..colon] : part;
            port = colon >= 0 ? part[(colon + 1)..] : "";
        }
        host = Decode(host, "host");
        if (host.Length == 0) throw new FormatException("a host name is empty");
        if (port.Length == 0) return (host, null);
        if (!int.TryParse(port, out var p) || p is < 1 or > 65535) throw new FormatException($"the port '{port}' is not a number from 1 to 65535");
        return (host, p);
    }

    private static string Decode(string text, string what)
    {
        try { return Uri.UnescapeDataString(text); }
        catch (UriFormatException) { throw new FormatException($"the {what} is not validly %-encoded"); }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
}
