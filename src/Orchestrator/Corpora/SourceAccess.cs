namespace RnnSweep.Orchestrator.Corpora;

/// <summary>Who names a corpus recipe's source, and so which folders, files and URLs the Orchestrator may read for it.</summary>
public enum SourceAccess
{
    /// <summary>
    /// A client of the HTTP API or the dashboard's form: only folders and tarballs under the configured roots
    /// (<c>Corpora:SourceRoots</c> and the data directory) and URLs under <c>Corpora:SourceUrls</c>.
    /// </summary>
    ConfiguredRoots,

    /// <summary>The person running the CLI, or the product's own configuration (the <c>linux</c> corpora): any path they can read.</summary>
    LocalUser,
}
