using System.Text;
using Microsoft.EntityFrameworkCore;
using RnnSweep.Orchestrator.Corpora;
using RnnSweep.Orchestrator.Sweeps;
using RnnSweep.Shared.Data;
using static RnnSweep.Orchestrator.Dashboard.Html;

namespace RnnSweep.Orchestrator.Dashboard;

/// <summary>
/// <c>/sweeps/new</c>: a preset or a custom grid, a known corpus or an upload. <c>submit.js</c> uploads the file with
/// <c>PUT /api/corpora/{name}</c>, posts the spec to <c>POST /api/sweeps</c>, and shows the 400 answer's
/// <c>errors</c> next to the fields they name (<c>data-field</c>).
/// </summary>
public static class SubmitPage
{
    public static async Task<IResult> RenderAsync(RnnSweepDbContext db, CancellationToken ct)
    {
        var stored = await db.CorpusNames.AsNoTracking().Select(n => n.Name).Union(db.Corpora.Select(c => c.Name)).ToListAsync(ct);
        var corpora = KnownCorpora.All.Select(c => c.Name).Concat(stored).Distinct().Order();
        var body = new StringBuilder("<h1>Submit a sweep</h1><form id=\"submit-form\" class=\"spec-form\" novalidate>");
        body.Append(Field("name", "Name", "<input name=\"name\" placeholder=\"default: PRESET-CORPUS\">"))
            .Append(Field("preset", "Preset", "<select name=\"preset\"><option value=\"\">none (custom grid)</option>" +
                string.Concat(Presets.Names.Select(p => $"<option>{E(p)}</option>")) + "</select>",
                "A preset fills in the grid and hyperparameters; the fields below override it."))
            .Append("<fieldset><legend>Corpus</legend>")
            .Append(Field("corpus", "Corpus name", $"<input name=\"corpus\" list=\"corpora\" placeholder=\"tinyshakespeare\"><datalist id=\"corpora\">{string.Concat(corpora.Select(c => $"<option value=\"{E(c)}\">"))}</datalist>",
                "A known or stored corpus, or the name to store an upload under."))
            .Append(Field("upload", "or upload a UTF-8 text file", "<input name=\"upload\" type=\"file\" accept=\".txt,text/plain\">",
                "Stored with PUT /api/corpora/NAME before the sweep is submitted."))
            .Append("</fieldset><fieldset><legend>Grid</legend>")
            .Append(Field("models", "Models", string.Concat(new[] { "lstm", "gru", "rnn" }.Select(m => $"<label class=\"check\"><input type=\"checkbox\" name=\"models\" value=\"{m}\"> {m.ToUpperInvariant()}</label>"))))
            .Append(Field("layers", "Layers", "<input name=\"layers\" placeholder=\"1 2 3\">", "Numbers separated by spaces or commas."))
            .Append(Field("hiddenSizes", "Hidden sizes", "<input name=\"hiddenSizes\" placeholder=\"64 128 256 512\">"))
            .Append(Field("seeds", "Seeds", "<input name=\"seeds\" placeholder=\"42 43 44 (one run per seed)\">"))
            .Append(Field("axes", "Extra axes", "<input name=\"axes\" placeholder=\"dropout=0,0.25,0.5; learningRate=0.002,0.001\">"))
            .Append(Field("matchParameters", "Match parameter counts", "<label class=\"check\"><input type=\"checkbox\" name=\"matchParameters\"> as the paper (GRU/RNN sizes chosen to match the LSTM of the row)</label>"))
            .Append("</fieldset><fieldset><legend>Hyperparameters (empty: the preset's or the default)</legend>")
            .Append(Field("hyperparameters.optimizer", "Optimizer", "<select name=\"hyperparameters.optimizer\"><option value=\"\"></option><option>adam</option><option>rmsprop</option></select>"))
            .Append(Number("hyperparameters.learningRate", "Learning rate", "0.002"))
            .Append(Number("hyperparameters.maxEpochs", "Max epochs", "50"))
            .Append(Number("hyperparameters.patience", "Patience (epochs)", "3"))
            .Append(Number("hyperparameters.seqLength", "Sequence length", "50"))
            .Append(Number("hyperparameters.batchSize", "Batch size", "50"))
            .Append(Number("hyperparameters.dropout", "Dropout", "0"))
            .Append(Field("hyperparameters.splitLayout", "Split layout", "<select name=\"hyperparameters.splitLayout\"><option value=\"\"></option><option>contiguous</option><option>streams</option></select>",
                "contiguous: validation and test are the end of the corpus; streams: the end of each of batchSize streams (char-rnn, the paper)."))
            .Append(Number("hyperparameters.epochChars", "Characters per epoch", "whole train split"))
            .Append(Number("hyperparameters.seed", "Seed", "42"))
            .Append(Field("queue", "Queue", "<input name=\"queue\" placeholder=\"cpu\">"))
            .Append("</fieldset><p><button type=\"submit\">Submit sweep</button> <span class=\"form-error\" data-field=\"*\"></span> <span id=\"submit-status\" role=\"status\"></span></p></form>");
        return Page("Submit a sweep", body.ToString(), "submit.js");
    }

    private static string Number(string name, string label, string placeholder) =>
        Field(name, label, $"<input name=\"{name}\" type=\"number\" step=\"any\" placeholder=\"{E(placeholder)}\">");

    private static string Field(string name, string label, string input, string? help = null) =>
        $"<div class=\"field\" data-for=\"{name}\"><label class=\"name\">{E(label)}</label><div>{input}{(help is null ? "" : $"<small>{E(help)}</small>")}<span class=\"form-error\" data-field=\"{name}\"></span></div></div>";
}
