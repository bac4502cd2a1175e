using RnnSweep.Shared.Domain;

namespace RnnSweep.Shared.Tests.Domain;

/// <summary>A loss is per byte for a byte vocabulary (the paper's unit), per character otherwise, per symbol when runs mix them.</summary>
public sealed class LossUnitTests
{
    [Theory]
    [InlineData("""{"vocabulary":"bytes","maxEpochs":50}""", "nats per byte")]
    [InlineData("""{"vocabulary":"chars"}""", "nats per character")]
    [InlineData("""{"maxEpochs":50}""", "nats per character")] // stored before the field existed: chars, the default
    public void ARunsUnit_FollowsItsVocabulary(string hyperparameters, string unit) =>
        Assert.Equal(unit, VocabularyKinds.LossUnit(VocabularyKinds.Of(hyperparameters)));

    [Fact]
    public void SeveralRuns_ShareAUnitOnlyWhenTheirVocabulariesAgree()
    {
        Assert.Equal("nats per byte", VocabularyKinds.LossUnit([VocabularyKinds.Bytes, VocabularyKinds.Bytes]));
        Assert.Equal("nats per symbol", VocabularyKinds.LossUnit([VocabularyKinds.Bytes, VocabularyKinds.Chars]));
    }
}
