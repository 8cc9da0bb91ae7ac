using UnimoG.TestSupport;

namespace UnimoG.EmojiWorld.Tests;

public class CaptionTests
{
    private static readonly EmojiCatalog Catalog = EmojiCatalog.Default;
    private static readonly BackgroundCatalog Backgrounds = BackgroundCatalog.Default;

    private static BackgroundPlan Colour(bool mentioned) =>
        new(BackgroundKind.Colour, Backgrounds.Colours.First(c => c.Id == "red"), null, (229, 57, 53), (229, 57, 53), 0, null, mentioned);

    private static ScenePlan Plan(Relation relation, BackgroundPlan bg, params string[] names)
    {
        var roles = relation switch
        {
            Relation.Single => [Role.Subject],
            Relation.Wear => [Role.Subject, Role.Worn],
            Relation.Play or Relation.Eat => [Role.Subject, Role.Beside],
            _ => new[] { Role.Subject, Role.Worn, Role.Beside },
        };
        return new ScenePlan(relation, names.Select((n, i) => new PlannedEntity(Catalog.Entities.Single(e => e.NameEn == n), roles[i])).ToList(), bg);
    }

    [SkippableFact]
    public void English_captions_are_MultiBenchs_five_templates_filled_in()
    {
        var file = Path.Combine(RepoPaths.Shared, "benchmarks", "multibench", "prompt_templates.txt");
        Skip.IfNot(File.Exists(file), $"{file} is missing (../shared beside the checkout)");
        var templates = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Contains('{')).ToList();
        Assert.Equal(5, templates.Count);
        // MultiBench writes "a {living object}"; our slots carry their own article ("a top hat", "pizza").
        var expected = templates.Select(t => t
            .Replace("{living object}", "dog").Replace("{wearing object}", "a top hat")
            .Replace("{toy object}", "a teddy bear").Replace("{food object}", "pizza")).ToHashSet();
        var ours = new[]
        {
            Plan(Relation.Wear, Colour(false), "dog", "top hat"),
            Plan(Relation.Play, Colour(false), "dog", "teddy bear"),
            Plan(Relation.Eat, Colour(false), "dog", "pizza"),
            Plan(Relation.WearPlay, Colour(false), "dog", "top hat", "teddy bear"),
            Plan(Relation.WearEat, Colour(false), "dog", "top hat", "pizza"),
        }.Select(p => Captioner.Build(p).En.Text).ToHashSet();
        Assert.Equal(expected, ours);
    }

    [Theory]
    [InlineData(Relation.Single, false, "an owl", "一只猫头鹰", "owl")]
    [InlineData(Relation.Wear, false, "a dog wearing sunglasses", "一只狗戴着墨镜", "dog", "sunglasses")]
    [InlineData(Relation.Wear, true, "a cat wearing a t-shirt on a red background", "一只猫穿着T恤，背景是红色", "cat", "t-shirt")]
    [InlineData(Relation.Play, false, "an old man is playing with a kite", "一位老爷爷在玩风筝", "old man", "kite")]
    [InlineData(Relation.Eat, true, "Santa Claus is eating french fries on a red background", "圣诞老人在吃薯条，背景是红色", "Santa Claus", "french fries")]
    [InlineData(Relation.WearPlay, false, "a penguin wearing a backpack is playing with a soccer ball", "一只企鹅背着书包在玩足球", "penguin", "backpack", "soccer ball")]
    [InlineData(Relation.WearEat, false, "a bald man wearing a scarf is eating an apple", "一个光头男人围着围巾在吃苹果", "bald man", "scarf", "apple")]
    public void Captions_read_naturally_in_both_languages(Relation relation, bool mention, string en, string zh, params string[] names)
    {
        var (captionEn, captionZh) = Captioner.Build(Plan(relation, Colour(mention), names));
        Assert.Equal(en, captionEn.Text);
        Assert.Equal(zh, captionZh.Text);
        for (var i = 0; i < names.Length; i++)
        {
            var entity = Catalog.Entities.Single(e => e.NameEn == names[i]);
            var (s, t) = captionEn.Spans[i];
            Assert.Equal(entity.NameEn, captionEn.Text[s..t]);
            (s, t) = captionZh.Spans[i];
            Assert.Equal(entity.NameZh, captionZh.Text[s..t]);
        }
    }

    [Fact]
    public void Scenery_and_gradient_backgrounds_are_named()
    {
        var scene = Backgrounds.Scenes.First(s => s.Id == "night-city");
        var plan = Plan(Relation.Single, new BackgroundPlan(BackgroundKind.Scene, null, null, default, default, 0, scene, true), "dog");
        var (en, zh) = Captioner.Build(plan);
        Assert.Equal("a dog in front of a city at night", en.Text);
        Assert.Equal("一只狗，背景是夜晚的城市", zh.Text);
        var orange = Backgrounds.Colours.First(c => c.Id == "orange");
        plan = Plan(Relation.Single, new BackgroundPlan(BackgroundKind.Colour, orange, null, default, default, 0, null, true), "dog");
        Assert.Equal("a dog on an orange background", Captioner.Build(plan).En.Text);
        var blue = Backgrounds.Colours.First(c => c.Id == "blue");
        var red = Backgrounds.Colours.First(c => c.Id == "red");
        plan = Plan(Relation.Single, new BackgroundPlan(BackgroundKind.Gradient, red, blue, default, default, 90, null, true), "pizza");
        (en, zh) = Captioner.Build(plan);
        Assert.Equal("pizza on a red and blue background", en.Text);
        Assert.Equal("一块比萨，背景是红色到蓝色的渐变", zh.Text);
    }
}
