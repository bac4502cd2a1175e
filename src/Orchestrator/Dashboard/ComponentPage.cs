using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.AspNetCore.Components.Web;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// A dashboard page or fragment: a Razor component rendered on the server by <see cref="HtmlRenderer"/> (which
/// HTML-encodes every value, as RazorComponentResult does) into one string, sent whole. The request's
/// <see cref="HttpContext"/> cascades to the components, as it does under RazorComponentResult (PageLayout takes
/// the antiforgery token from it).
/// Why not RazorComponentResult itself: its endpoint renderer keeps every write (each tag, each attribute's name,
/// quotes and value) as a separate chunk until the component has rendered, then sends them. On the 10,008-cell sweep
/// page that buffering and the garbage collections it causes took more processor time than building the page
/// (a sampled profile), and the page took about twice as long (docs/benchmarks.md, "The 10,000-cell sweep page").
/// </summary>
/// <param name="parameters">The component's parameters as an object's properties (<c>new { View = view }</c>).</param>
/// <param name="statusCode">The response's HTTP status: 200, or 400 and 404 for <see cref="ErrorPage"/>.</param>
public sealed class ComponentPage<TComponent>(object parameters, int statusCode = StatusCodes.Status200OK) : IResult where TComponent : IComponent
{
    public async Task ExecuteAsync(HttpContext http)
    {
        var services = http.RequestServices;
        // Components may ask where they are (NavigationManager); under RazorComponentResult the endpoint sets this.
        if (services.GetService<NavigationManager>() is IHostEnvironmentNavigationManager navigation)
        {
            var request = http.Request;
            var root = $"{request.Scheme}://{request.Host}{request.PathBase}/";
            navigation.Initialize(root, $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}");
        }
        await using var renderer = new HtmlRenderer(services, services.GetRequiredService<ILoggerFactory>());
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var page = await renderer.RenderComponentAsync<CascadingValue<HttpContext>>(ParameterView.FromDictionary(new Dictionary<string, object?>
            {
                [nameof(CascadingValue<HttpContext>.Value)] = http,
                [nameof(CascadingValue<HttpContext>.IsFixed)] = true,
                [nameof(CascadingValue<HttpContext>.ChildContent)] = (RenderFragment)Content,
            }));
            return page.ToHtmlString();
        });
        http.Response.StatusCode = statusCode;
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(html, http.RequestAborted);
    }

    private void Content(Microsoft.AspNetCore.Components.Rendering.RenderTreeBuilder builder)
    {
        builder.OpenComponent<TComponent>(0);
        foreach (var property in parameters.GetType().GetProperties())
        {
            builder.AddComponentParameter(1, property.Name, property.GetValue(parameters));
        }
        builder.CloseComponent();
    }
}
