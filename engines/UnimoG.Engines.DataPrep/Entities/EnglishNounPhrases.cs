using System.Text.RegularExpressions;

namespace UnimoG.Engines.DataPrep.Entities;

/// <summary>
/// Rule-based noun-phrase chunker for short English captions, without a part-of-speech model: words of closed
/// classes (determiners, numerals, prepositions, conjunctions, pronouns, auxiliaries, adverbs) and a lexicon of
/// common caption verbs end a phrase; the remaining runs of words are noun phrases whose last word is the head.
/// Words that are both nouns and verbs ("watch", "park", "drink") count as nouns after a determiner, possessive,
/// preposition or adjective and as verbs after a noun. Phrases whose head cannot be drawn ("photo", "background",
/// "side") are dropped. The limits are listed in docs/dataprep.md.
/// </summary>
public sealed partial class EnglishNounPhrases : RuleBasedExtractor
{
    public override string Name => "rules-en";

    /// <summary>At most this many words per phrase (the last ones: the head is last).</summary>
    public int MaxWords { get; init; } = 4;

    public override IReadOnlyList<EntityMention> Extract(string caption)
    {
        var words = WordPattern().Matches(caption).Select(m => (m.Index, m.Value)).ToList();
        var result = new List<EntityMention>();
        var run = new List<(int Index, string Text)>();
        var previous = Kind.Boundary;
        var previousWord = "";

        void Close()
        {
            if (run.Count > 0)
                Emit(caption, run, result);
            run.Clear();
        }

        for (var i = 0; i < words.Count; i++)
        {
            var (index, text) = words[i];
            // Punctuation (anything but spaces) between two words ends the phrase.
            if (i > 0)
            {
                var gapStart = words[i - 1].Index + words[i - 1].Value.Length;
                if (caption.AsSpan(gapStart, index - gapStart).Trim().Length > 0)
                {
                    Close();
                    previous = Kind.Boundary;
                }
            }
            var lower = text.ToLowerInvariant();
            var possessive = lower.EndsWith("'s") || lower.EndsWith("’s");
            if (possessive)
                lower = lower[..^2];
            var next = i + 1 < words.Count ? words[i + 1].Value.ToLowerInvariant() : null;
            var kind = Classify(lower, previous, previousWord, next);
            if (kind == Kind.Content)
            {
                run.Add((index, possessive ? text[..^2] : text));
                if (possessive)
                {
                    Close();
                    kind = Kind.Determiner; // "a man's hat": what follows is a new phrase after a possessive
                }
            }
            else
                Close();
            previous = kind;
            previousWord = lower;
        }
        Close();
        return result;
    }

    private void Emit(string caption, List<(int Index, string Text)> run, List<EntityMention> result)
    {
        var words = run.Count > MaxWords ? run.Skip(run.Count - MaxWords).ToList() : run;
        // Trailing adjectives without a noun ("the dog is brown") are not entities; neither are undrawable heads.
        var head = words[^1].Text.ToLowerInvariant();
        if (NotDepictable.Contains(head) || Adjectives.Contains(head) || head.Length < 2)
            return;
        var start = words[0].Index;
        var end = words[^1].Index + words[^1].Text.Length;
        var phrase = caption[start..end];
        result.Add(new EntityMention(phrase, start, end, phrase));
    }

    private enum Kind { Boundary, Determiner, Preposition, Content, Verb, Other }

    private static Kind Classify(string w, Kind previous, string previousWord, string? next)
    {
        if (w.All(char.IsDigit) || Numbers.Contains(w)) return Kind.Determiner;
        if (Determiners.Contains(w) || Possessives.Contains(w)) return Kind.Determiner;
        if (Prepositions.Contains(w)) return Kind.Preposition;
        if (Closed.Contains(w)) return Kind.Other;
        if (NounVerbs.Contains(w))
            return previous switch
            {
                // After a noun it is a verb when the number agrees ("a man drinks", "men drink"), but a noun
                // after an adjective ("a red dress") or in a compound ("a wrist watch").
                Kind.Content => Adjectives.Contains(previousWord) ? Kind.Content
                    : w.EndsWith('s') || Plural(previousWord) ? Kind.Verb : Kind.Content,
                // After a pronoun, auxiliary or conjunction ("they watch", "sits and watches").
                Kind.Other => Kind.Verb,
                _ => Kind.Content,
            };
        if (Verbs.Contains(w)) return Kind.Verb;
        if (w.EndsWith("ing") && w.Length > 4 && !IngNouns.Contains(w)) return Kind.Verb;
        if (w.EndsWith("ly") && w.Length > 4 && !LyNouns.Contains(w)) return Kind.Other;
        if (w.EndsWith("ed") && w.Length > 4 && !EdNouns.Contains(w))
            // A participle before a content word modifies it ("stuffed bear"); otherwise it is a verb ("dressed in").
            return next is not null && !Prepositions.Contains(next) && !Determiners.Contains(next)
                   && !Closed.Contains(next) && !Possessives.Contains(next) ? Kind.Content : Kind.Verb;
        return Kind.Content;
    }

    private static bool Plural(string w) =>
        IrregularPlurals.Contains(w) || w.Length > 3 && w.EndsWith('s') && !w.EndsWith("ss") && !w.EndsWith("us");

    private static readonly HashSet<string> IrregularPlurals = Set("men women children people mice geese feet teeth sheep fish");

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*")]
    private static partial Regex WordPattern();

    private static HashSet<string> Set(string words) => new(words.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static readonly HashSet<string> Determiners = Set(
        "a an the this that these those some any each every no another other both all several many few much more most such " +
        "what which whose lots lot plenty");
    private static readonly HashSet<string> Possessives = Set("my your his her its our their");
    private static readonly HashSet<string> Numbers = Set(
        "one two three four five six seven eight nine ten eleven twelve twenty hundred dozen dozens first second third half");
    private static readonly HashSet<string> Prepositions = Set(
        "of in on at to from with without by for about above below under over near beside besides between behind among " +
        "around across through into onto inside outside along against toward towards up down off upon within during before " +
        "after like as than via beneath underneath atop amid next");
    private static readonly HashSet<string> Closed = Set(
        "and or but nor so yet while whereas because although though if when where whilst then " +
        "i me you he him she it we they them us myself himself herself itself themselves who whom someone something " +
        "everyone everything anyone anything nobody nothing " +
        "is are was were be been being am has have had having do does did will would can could shall should may might must " +
        "very really quite too also just only not never always often here there together away back out again still even " +
        "s re ve ll d t");
    /// <summary>Common caption verbs in all forms that are not also common nouns.</summary>
    private static readonly HashSet<string> Verbs = Inflect(
        "wear hold eat sit stand ride walk run lie jump swim carry read sleep stare pose smile laugh talk hug kiss chase " +
        "catch throw kick climb hang lean wait cook bake sing dance drive float grow surround decorate feature contain wrap " +
        "put take make give use hide peek reach touch push pull drag wag bark meow graze perch enter leave gaze look see " +
        "play eat go come get keep let seem become appear sit sleep fly carry hold open close fill hold lay",
        "wore worn held ate eaten sat stood rode ridden ran lain swam swum slept caught threw thrown hung grew grown took " +
        "taken made gave given hid hidden drove driven sang sung went gone came got gotten kept seen saw became flew flown " +
        "left laid");
    /// <summary>Words that are nouns or verbs depending on context.</summary>
    private static readonly HashSet<string> NounVerbs = Set(
        "watch watches drink drinks park parks face faces display displays show shows point points cross crosses land lands " +
        "wave waves dress dresses cut cuts paint paints place places rest rests fall falls feed cover covers set sets " +
        "painting paintings drawing drawings building buildings swing swings frosting smoke fly flies plant plants " +
        "ski skis skate skates surf kite boat bike bikes cook cooks box boxes ring rings");
    private static readonly HashSet<string> IngNouns = Set(
        "building buildings ceiling clothing earring earrings evening king morning painting paintings pudding ring spring " +
        "string strings swing swings thing things wedding wing wings sibling icing stuffing dumpling dumplings bedding " +
        "railing awning topping toppings filling frosting lightning ping viking duckling ducklings darling wedding " +
        "stocking stockings sapling seedling ceiling herring sling pudding");
    private static readonly HashSet<string> LyNouns = Set(
        "butterfly butterflies dragonfly dragonflies firefly jelly belly lily lilies family holly bully rally ally supply " +
        "trolley italy july");
    private static readonly HashSet<string> EdNouns = Set(
        "flowerbed seaweed bobsled steed speed breed tweed sunbed hundred sofabed");
    /// <summary>Heads that name no drawable thing.</summary>
    private static readonly HashSet<string> NotDepictable = Set(
        "photo photos picture pictures image images photograph background foreground view side front top bottom left " +
        "right middle center centre day night time scene shot closeup close style color colour colors colours way area " +
        "part lot pair couple group kind type sort number piece pieces bunch row distance edge corner shape");
    private static readonly HashSet<string> Adjectives = Set(
        "red orange yellow green blue purple pink brown black white gray grey golden silver big small large little tiny " +
        "huge tall short long old young new cute happy sad beautiful pretty colorful colourful bright dark fluffy furry " +
        "wooden metal plastic empty full hot cold wet dry");

    private static HashSet<string> Inflect(string bases, string irregular)
    {
        var set = Set(irregular);
        foreach (var b in bases.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            set.Add(b);
            set.Add(b.EndsWith('s') || b.EndsWith("sh") || b.EndsWith("ch") || b.EndsWith('x') ? b + "es"
                : b.EndsWith('y') && !"aeiou".Contains(b[^2]) ? b[..^1] + "ies" : b + "s");
            var stem = b.EndsWith('e') && !b.EndsWith("ee") ? b[..^1] : b;
            // Double a final consonant after a single short vowel (sit -> sitting, run -> running).
            if (b.Length <= 4 && b.Length >= 3 && !"aeiouwxy".Contains(b[^1]) && "aeiou".Contains(b[^2]) && !"aeiou".Contains(b[^3]))
                stem = b + b[^1];
            set.Add(stem + "ing");
            set.Add(b.EndsWith('e') ? b + "d" : b.EndsWith('y') && !"aeiou".Contains(b[^2]) ? b[..^1] + "ied" : stem + "ed");
        }
        return set;
    }
}
