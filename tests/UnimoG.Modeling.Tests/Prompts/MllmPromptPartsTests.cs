using SkiaSharp;
using UnimoG.Imaging;
using UnimoG.Modeling.Images;
using UnimoG.Text.Prompts;
using UnimoG.Modeling.Encoders;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Prompts;

public class MllmPromptPartsTests
{
    [Fact]
    public void Prompt_becomes_encoder_parts_with_preprocessed_images()
    {
        var dog = TestImages.Encode(40, 30, TestImages.Noise(40, 30, 20), SKEncodedImageFormat.Png);
        var prompt = MultimodalPrompt.FromText("<img1> and <img1> again", [new PromptInput.Image(dog)]);
        var parts = prompt.ToMllmParts(new ClipImageProcessor());
        Assert.Equal(4, parts.Count);
        var first = Assert.IsType<UnimoG.Modeling.Encoders.MllmImage>(parts[0]);
        Assert.Same(first, parts[2]); // preprocessed once
        Assert.Equal([1L, 3, 224, 224], first.PixelValues.shape);
        Assert.Equal(PromptImage.HashOf(dog), first.ContentHash);
        Assert.Equal(" and ", Assert.IsType<UnimoG.Modeling.Encoders.MllmText>(parts[1]).Text);
    }

    [Fact]
    public void LLaMA_segments_are_tokenized_without_BOS()
    {
        var tokenizer = Tests.Text.Tokenizers.Llama.ForMllm();
        Assert.Equal([263, 15373, 310, 263, 6635], tokenizer.Encode("a photo of a cat")); // fixture row minus BOS
    }
}
