using System.Text.RegularExpressions;

namespace RnnSweep.Orchestrator.Tests.Support;

/// <summary>
/// Presses the Hangfire dashboard's own buttons, as an operator would: the POST endpoints its job lists use
/// (<c>/hangfire/jobs/processing/delete</c>, <c>/hangfire/jobs/enqueued/delete</c>, <c>/hangfire/jobs/processing/requeue</c>),
/// with the page's anti-forgery token when the dashboard has one.
/// </summary>
public static partial class HangfireDashboard
{
    public static Task DeleteProcessingAsync(HttpClient http, string jobId) => PressAsync(http, "processing", "delete", jobId);

    public static Task DeleteEnqueuedAsync(HttpClient http, string jobId) => PressAsync(http, "enqueued", "delete", jobId);

    public static Task RequeueProcessingAsync(HttpClient http, string jobId) => PressAsync(http, "processing", "requeue", jobId);

    private static async Task PressAsync(HttpClient http, string list, string action, string jobId)
    {
        var page = await http.GetStringAsync($"/hangfire/jobs/{list}");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/hangfire/jobs/{list}/{action}")
        {
            Content = new FormUrlEncodedContent([new("jobs[]", jobId)]),
        };
        if (CsrfHeader().Match(page) is { Success: true } header && CsrfToken().Match(page) is { Success: true } token)
        {
            request.Headers.Add(header.Groups[1].Value, token.Groups[1].Value);
        }
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"the dashboard refused {action} of job {jobId} in {list}: {(int)response.StatusCode}");
    }

    [GeneratedRegex("<meta name=\"csrf-header\" content=\"([^\"]+)\"")]
    private static partial Regex CsrfHeader();

    [GeneratedRegex("<meta name=\"csrf-token\" content=\"([^\"]+)\"")]
    private static partial Regex CsrfToken();
}
