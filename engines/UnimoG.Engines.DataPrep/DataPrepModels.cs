using Microsoft.Extensions.Logging;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Grounding;
using UnimoG.Engines.DataPrep.Pipeline;
using UnimoG.Engines.DataPrep.Segmentation;

namespace UnimoG.Engines.DataPrep;

/// <summary>
/// The pipeline a host runs and the ONNX sessions it owns, made once from <see cref="DataPrepOptions"/> (sessions are
/// thread-safe and shared by every call and by the batch job).
/// </summary>
public sealed class DataPrepModels : IDisposable
{
    private readonly GroundingDino? _grounding;
    private readonly SamSegmenter? _sam;

    private DataPrepModels(PrepPipeline pipeline, GroundingDino? grounding, SamSegmenter? sam)
    {
        Pipeline = pipeline;
        _grounding = grounding;
        _sam = sam;
    }

    public PrepPipeline Pipeline { get; }

    /// <summary>Loads the configured models (the options are validated already) and builds the pipeline.</summary>
    public static DataPrepModels Load(DataPrepOptions options, ILogger logger)
    {
        IEntityExtractor extractor = options.Entities switch
        {
            "rules-en" => new EnglishNounPhrases(),
            "rules-zh" => new ChineseNounPhrases(),
            _ => new MetadataEntityExtractor(),
        };
        GroundingDino? grounding = null;
        SamSegmenter? sam = null;
        try
        {
            if (!string.IsNullOrWhiteSpace(options.GroundingModel))
                grounding = new GroundingDino(options.GroundingModel, options.BertVocab!,
                    new GroundingOptions { BoxThreshold = options.BoxThreshold, TextThreshold = options.TextThreshold }, options.OnnxOptions, logger);
            if (options.MaskMode == MaskMode.Sam)
                sam = new SamSegmenter(options.SamEncoder!, options.SamDecoder!, options.OnnxOptions, logger);
            return new DataPrepModels(new PrepPipeline(options.PrepOptions, extractor, grounding, sam), grounding, sam);
        }
        catch
        {
            grounding?.Dispose();
            sam?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _grounding?.Dispose();
        _sam?.Dispose();
    }
}
