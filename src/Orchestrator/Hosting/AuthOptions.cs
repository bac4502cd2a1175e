namespace RnnSweep.Orchestrator.Hosting;

/// <summary>
/// Who may use the API and the dashboards. Bound from <c>Auth</c> (env: <c>Auth__Users__0__Name</c>,
/// <c>Auth__Users__0__Password</c>, <c>Auth__Users__0__Role</c>). No user is configured by default, so only
/// requests from this machine are answered; no credential is kept in the repository.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public List<AuthUser> Users { get; set; } = [];
    /// <summary>Requests from loopback act as an admin without logging in (the local default).</summary>
    public bool AllowLocalWithoutLogin { get; set; } = true;
    /// <summary>Networks of reverse proxies whose X-Forwarded-For is trusted (CIDR), besides loopback.</summary>
    public List<string> TrustedProxyNetworks { get; set; } = [];
}

public sealed class AuthUser
{
    public string Name { get; set; } = "";
    public string Password { get; set; } = "";
    /// <summary><c>admin</c> (submit, cancel, resume, every dashboard action) or <c>viewer</c> (read only).</summary>
    public string Role { get; set; } = Roles.Viewer;
}

public static class Roles
{
    public const string Admin = "admin";
    public const string Viewer = "viewer";
}
