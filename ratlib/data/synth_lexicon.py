"""Word lists and sentence templates of the generated review benchmark.

Pure data; :mod:`ratlib.data.synth` documents the design and turns these
into reviews. Every word here must be in the GloVe 6B vocabulary (a test
checks it); words that BERT's uncased vocabulary splits into pieces are
listed in :data:`WORDPIECE_WORDS` (beer jargon kept on purpose).

Template syntax (tokens separated by spaces, punctuation as its own token):

* ``{S}`` / ``{SA}`` - a shared sentiment phrase graded by the clause's
  value, predicative ("is {S}") or attributive ("a {SA} beer");
* ``{X:name}`` - a phrase from the aspect-specific graded table ``name``;
* ``{W:name}`` - a word from the neutral list ``name``; ``{note}`` - a
  flavour or smell note of the review's beer family (distinct in a sentence);
* ``{N}`` - a noun that names the aspect ("aroma", "nose", ...);
* a digit after ``S``, ``SA`` or ``X`` (``{S1}``, ``{X2:finish}``) picks the
  value of the first or second clause of a mixed sentence.

Graded tables map a sentiment level 0..6 (0 = very negative, 3 = neutral,
6 = very positive) to phrases; a level with no phrase borrows the nearest one.
"""
from __future__ import annotations

ASPECT_NAMES = ("appearance", "aroma", "palate", "taste", "overall")

# Score grid and its marginal distribution: positively skewed like
# BeerAdvocate (most ratings 3.5-4.5 of 5); 14% negative (<= 0.4),
# 9% dropped middle (0.5), 77% positive (>= 0.6).
SCORE_VALUES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
SCORE_PROBS = (0.005, 0.010, 0.025, 0.040, 0.060, 0.090, 0.130, 0.190, 0.220, 0.150, 0.080)

# Upper edges of sentiment levels 0..5 on the [0, 1] score scale (level 6 above).
LEVEL_EDGES = (0.15, 0.35, 0.45, 0.55, 0.65, 0.85)

# ------------------------------------------------------------ shared sentiment
# Predicative phrases ("the aroma is ___"), by level.
SENTIMENT = {
    6: ["excellent", "outstanding", "superb", "fantastic", "wonderful", "amazing", "exceptional",
        "awesome", "incredible", "brilliant", "perfect", "absolutely fantastic", "really excellent",
        "just perfect", "top notch", "world class", "really great", "very impressive",
        "simply amazing", "truly excellent"],
    5: ["great", "good", "nice", "lovely", "pleasant", "solid", "impressive", "enjoyable", "very good",
        "very nice", "really nice", "quite good", "really good", "quite pleasant", "really solid",
        "not bad at all"],
    4: ["decent", "fine", "not bad", "pretty good", "fairly good", "pretty decent", "good enough",
        "acceptable", "quite decent", "reasonably good", "nice enough", "alright", "fairly nice"],
    3: ["okay", "average", "ordinary", "unremarkable", "plain", "nothing special", "just okay",
        "so so", "middle of the road", "neither good nor bad", "decent but nothing special",
        "fine but boring", "standard", "nothing to write home about"],
    2: ["mediocre", "underwhelming", "lacking", "dull", "not great", "a bit weak", "somewhat bland",
        "not very good", "a little disappointing", "a bit lacking", "not that good", "below average",
        "boring", "less than impressive", "not much to speak of"],
    1: ["bad", "poor", "weak", "bland", "disappointing", "unpleasant", "pretty bad", "quite poor",
        "really weak", "not good", "very disappointing", "pretty poor", "not good at all"],
    0: ["awful", "terrible", "horrible", "disgusting", "nasty", "vile", "dreadful", "really bad",
        "very poor", "absolutely awful", "just terrible", "truly horrible", "gross", "foul"],
}

# Attributive phrases ("a ___ aroma"), by level.
SENTIMENT_ATTR = {
    6: ["excellent", "outstanding", "superb", "fantastic", "wonderful", "amazing", "exceptional",
        "awesome", "incredible", "brilliant", "perfect", "really great", "truly excellent",
        "very impressive"],
    5: ["great", "good", "nice", "lovely", "pleasant", "solid", "impressive", "very good", "very nice",
        "really nice", "quite good", "really good"],
    4: ["decent", "fine", "pretty good", "fairly good", "pretty decent", "acceptable", "quite decent",
        "reasonably nice"],
    3: ["average", "ordinary", "unremarkable", "plain", "standard", "typical", "run of the mill"],
    2: ["mediocre", "underwhelming", "dull", "below average", "somewhat bland", "boring",
        "rather weak", "slightly disappointing"],
    1: ["bad", "poor", "weak", "bland", "disappointing", "unpleasant", "pretty bad", "quite poor",
        "really weak", "pretty poor"],
    0: ["awful", "terrible", "horrible", "disgusting", "nasty", "vile", "dreadful", "really bad",
        "very poor", "truly horrible", "gross"],
}

# ------------------------------------------------------------ neutral word lists
# Beer families keep colour, notes and style names of one review consistent.
FAMILIES = {
    "pale": {
        "color": ["golden", "straw", "pale gold", "orange", "light amber", "yellow", "deep gold",
                  "honey"],
        "note": ["citrus", "grapefruit", "pine", "orange peel", "lemon", "tropical fruit", "mango",
                 "bread", "biscuit", "floral hops", "grass", "honey", "lime", "resin",
                 "wheat", "peach"],
        "style": ["pale ale", "ipa", "double ipa", "pilsner", "lager", "blonde ale", "session ipa",
                  "golden ale"],
    },
    "dark": {
        "color": ["black", "dark brown", "brown", "deep brown", "jet black", "mahogany", "chestnut"],
        "note": ["coffee", "dark chocolate", "chocolate", "roasted malt", "caramel", "vanilla",
                 "brown sugar", "smoke", "oak", "bourbon", "dark fruit", "toast", "toffee",
                 "burnt sugar", "roast", "cocoa"],
        "style": ["stout", "imperial stout", "porter", "brown ale", "black lager", "milk stout"],
    },
    "belgian": {
        "color": ["golden", "hazy gold", "orange", "copper", "ruby", "amber", "deep amber"],
        "note": ["banana", "clove", "pepper", "spice", "yeast", "pear", "apple", "honey", "raisin",
                 "plum", "orange", "coriander", "lemon", "candy sugar", "bread", "cherry"],
        "style": ["saison", "tripel", "dubbel", "belgian ale", "belgian pale ale", "wheat beer",
                  "white ale", "strong ale"],
    },
    "amber": {
        "color": ["amber", "copper", "reddish", "deep amber", "light brown", "ruby", "auburn"],
        "note": ["caramel", "toffee", "toasted malt", "bread", "nuts", "pine", "brown sugar",
                 "biscuit", "dried fruit", "citrus", "herbal hops", "earthy hops", "honey",
                 "toast", "fig", "maple"],
        "style": ["amber ale", "red ale", "barley wine", "scotch ale", "bock", "english bitter",
                  "red lager", "old ale"],
    },
}

WORDS = {
    "clarity": ["hazy", "cloudy", "clear", "crystal clear", "slightly hazy", "opaque", "bright",
                "murky", "filtered", "brilliant"],
    "head_color": ["white", "off white", "tan", "beige", "cream", "light tan", "bone white", "ivory",
                   "brown", "dirty white"],
    "head_size": ["one finger", "two finger", "three finger", "thin", "half inch", "modest", "big",
                  "small"],
    "body": ["light", "medium", "full", "medium light", "light to medium", "medium to full",
             "medium full"],
    "carb": ["low", "moderate", "high", "soft", "lively", "gentle", "brisk", "medium"],
    "bitterness": ["mild", "moderate", "sharp", "lingering", "slight", "firm", "strong", "gentle"],
    "sweetness": ["light", "sweet", "sticky", "subtle", "rich", "soft"],
    "dryness": ["dry", "sweet", "clean", "bitter", "semi dry", "slightly sweet"],
    "container": ["12 oz bottle", "bottle", "22 oz bomber", "can", "16 oz can", "750 ml bottle",
                  "pint can", "brown bottle"],
    "glass": ["pint glass", "tulip glass", "mug", "pilsner glass", "tulip", "wine glass", "tall glass",
              "stemmed glass"],
    "place": ["the local bar", "a pub downtown", "the brewery", "a beer festival", "my local pub",
              "a restaurant near work", "a hotel bar", "an airport bar"],
    "person": ["my brother", "a friend", "my neighbor", "a colleague", "my father", "an old friend",
               "my sister", "a fellow reviewer"],
    "store": ["the grocery store", "a local shop", "the liquor store", "a bottle shop",
              "a gas station", "the supermarket"],
    "pack": ["mixed six pack", "variety pack", "four pack", "six pack", "holiday box", "gift box"],
    "food": ["pizza", "a burger", "dinner", "some cheese", "pasta", "barbecue", "chili", "steak"],
    "animal": ["goat", "bear", "dog", "fish", "monkey", "owl", "horse", "dragon"],
    "thing": ["price", "bartender", "service", "label", "bottle art", "music", "company"],
    "time": ["last week", "yesterday", "a while ago", "over the weekend", "last night",
             "a few months ago", "on vacation", "on sale"],
    "month": ["january", "march", "may", "july", "september", "november"],
}

# ------------------------------------------------------------ aspects
# For each aspect: nouns naming it, section markers ("a :"), and templates by kind:
#   describe  - says what the aspect is like, no judgement (still rationale);
#   judge     - a graded judgement (first sentence of a section or later);
#   follow    - a graded continuation, often with a pronoun ("it fades ...");
#   mixed     - two graded clauses in contrast ("... but ...").
# ``tables`` are the aspect-specific graded phrases.

APPEARANCE = {
    "nouns": ["appearance", "look", "color", "presentation", "head"],
    "markers": ["appearance :", "look :", "a :", "appearance -", "looks :"],
    "describe": [
        "pours a {W:clarity} {W:color} color with a {W:head_size} {W:head_color} head .",
        "{W:clarity} {W:color} with a {W:head_size} {W:head_color} head .",
        "the beer is a {W:clarity} {W:color} with a {W:head_color} head .",
        "it pours {W:color} and {W:clarity} with a {W:head_size} head of {W:head_color} foam .",
        "poured a {W:clarity} {W:color} , topped by a {W:head_size} {W:head_color} head .",
        "{W:color} in color and {W:clarity} , with a {W:head_color} head on top .",
        "{W:clarity} and {W:color} in the glass , with a {W:head_color} collar of bubbles .",
        "{W:color} and {W:clarity} , some carbonation visible in the glass .",
    ],
    "judge": [
        "the {N} is {S} .",
        "looks {S} .",
        "{SA} looking beer .",
        "it looks {S} in the glass .",
        "the {N} of this one is {S} .",
        "pours a {W:clarity} {W:color} with a {X:head_attr} {W:head_color} head .",
        "pours a {SA} {W:clarity} {W:color} color .",
        "{W:clarity} {W:color} body with a {X:head_attr} {W:head_color} head .",
        "{X:look_phrase} .",
        "a {SA} looking {W:color} beer with a {X:head_attr} head .",
        "the head is {X:head_pred} .",
        "{N} is {S} overall .",
    ],
    "follow": [
        "it {X:head_fade} .",
        "the head {X:head_fade} .",
        "{X:lacing} .",
        "the foam {X:head_fade} .",
        "it {X:head_fade} , {X:lacing} .",
        "it leaves {X:rings} on the glass .",
        "a few streams of bubbles rise from the bottom .",
    ],
    "mixed": [
        "the color is {S1} but the head is {X2:head_pred} .",
        "{SA1} color , but the head {X2:head_fade} .",
        "the head is {X1:head_pred} , but it leaves {X2:rings} on the glass .",
        "it looks {S1} at first , but the head {X2:head_fade} .",
        "{SA1} {W:color} color with {X2:lacing} .",
    ],
    "tables": {
        "head_attr": {6: ["huge rocky", "thick creamy", "dense rocky", "massive fluffy"],
                      5: ["thick", "creamy", "fluffy", "frothy", "rocky", "dense", "generous"],
                      4: ["decent", "moderate", "respectable", "fair"],
                      3: ["modest", "average", "unremarkable"],
                      2: ["small", "thin", "weak", "short lived"],
                      1: ["thin fizzy", "tiny", "soapy", "weak fizzy"],
                      0: ["pathetic", "sad little", "useless"]},
        "head_pred": {6: ["huge and rocky", "thick and creamy", "massive"],
                      5: ["thick", "creamy", "nice and thick", "fluffy"],
                      4: ["decent", "fair", "decent enough"],
                      3: ["average", "modest", "nothing special"],
                      2: ["thin", "small", "a bit thin"],
                      1: ["thin and fizzy", "tiny", "weak"],
                      0: ["absent", "gone in seconds", "completely absent"]},
        "head_fade": {6: ["never really fades and leaves thick sheets of lacing",
                          "holds firm and leaves sticky rings on the glass",
                          "lasts forever and leaves lace all over the glass"],
                      5: ["lasts a good while and leaves nice lacing", "holds up well",
                          "sticks around for a long time", "leaves good lacing down the glass"],
                      4: ["settles to a thin cap with a bit of lacing", "fades slowly",
                          "settles to a decent cap"],
                      3: ["settles to a thin ring", "fades at a normal pace", "fades to a thin film"],
                      2: ["fades fairly quickly", "fades fast", "drops a bit too quickly"],
                      1: ["fades quickly and leaves no lacing", "disappears fast",
                          "is gone within a minute"],
                      0: ["disappears almost instantly", "is gone in seconds"]},
        "lacing": {6: ["beautiful sheets of lacing on the glass", "thick rings of lace all the way down"],
                   5: ["nice lacing on the glass", "good lacing as it goes down", "sticky lacing"],
                   4: ["some lacing left behind", "a bit of lacing", "decent lacing"],
                   3: ["a little lacing", "spotty lacing"],
                   2: ["not much lacing", "very little lacing", "only a few spots of lace"],
                   1: ["no lacing to speak of", "no lacing at all"],
                   0: ["no head and no lacing whatsoever"]},
        "rings": {6: ["thick sticky rings all the way down"], 5: ["nice sticky rings"],
                  4: ["a few rings"], 3: ["a spot or two"], 2: ["hardly a trace"],
                  1: ["nothing at all"], 0: ["nothing at all , not even a ring"]},
        "look_phrase": {6: ["a real beauty in the glass", "one of the best looking beers i have seen",
                            "gorgeous to look at"],
                        5: ["looks really good in the glass", "very pretty to look at", "an attractive beer"],
                        4: ["looks fine in the glass", "looks good enough"],
                        3: ["looks like any other {W:color} beer", "nothing special to look at"],
                        2: ["not much to look at", "looks a little dull"],
                        1: ["looks flat and lifeless", "an ugly looking beer"],
                        0: ["looks like dirty dishwater", "looks like murky pond water"]},
    },
}

AROMA = {
    "nouns": ["aroma", "smell", "nose", "scent", "bouquet"],
    "markers": ["aroma :", "smell :", "s :", "nose :", "smell -"],
    "describe": [
        "smells of {note} and {note} .",
        "the nose brings {note} , {note} and a touch of {note} .",
        "{note} and {note} on the nose .",
        "hints of {note} , {note} and {note} on the nose .",
        "the aroma is mostly {note} with some {note} .",
        "i get {note} and {note} when i smell it .",
        "mostly {note} and {note} , with a little {note} .",
        "{note} , {note} and some {note} .",
    ],
    "judge": [
        "the {N} is {S} .",
        "smells {S} .",
        "{SA} {N} .",
        "i found the {N} {S} .",
        "the {N} on this one is {S} .",
        "{X:aroma_attr} aroma of {note} and {note} .",
        "the smell is {S} , lots of {note} and {note} .",
        "smells {S} , with {note} and {note} .",
        "a {SA} nose of {note} and {note} .",
        "the {N} is {X:aroma_short} .",
        "{X:aroma_attr} {note} {N} .",
    ],
    "follow": [
        "it {X:aroma_pred} .",
        "there is also a {X:hint} of {note} in the background .",
        "a bit of {note} comes through as it warms , {S} .",
        "it {X:aroma_pred} once it warms up .",
        "mostly {note} , and it {X:aroma_pred} .",
    ],
    "mixed": [
        "the {N} is {S1} but a bit {X2:aroma_short} .",
        "{SA1} {note} up front , but the rest is {S2} .",
        "it smells {S1} at first , but it {X2:aroma_pred} .",
        "{X1:aroma_attr} {note} , but {S2} overall .",
    ],
    "tables": {
        "aroma_attr": {6: ["huge", "intense", "very fragrant", "bold"],
                       5: ["strong", "fragrant", "inviting", "rich", "big"],
                       4: ["moderate", "pleasant", "fair"],
                       3: ["mild", "modest", "subtle"],
                       2: ["faint", "muted", "weak"],
                       1: ["stale", "musty", "dusty"],
                       0: ["skunky", "rotten", "foul"]},
        "aroma_pred": {6: ["fills the room", "jumps out of the glass", "is incredibly inviting"],
                       5: ["comes through nicely", "is quite inviting", "smells really fresh"],
                       4: ["is pleasant enough", "comes through fine"],
                       3: ["is fairly subtle", "is there but subtle", "stays in the background"],
                       2: ["is hard to pick up", "fades fast", "is rather muted"],
                       1: ["smells a bit stale", "has an odd musty edge", "smells off"],
                       0: ["reminds me of wet cardboard", "is skunky and rotten", "smells like garbage"]},
        "aroma_short": {6: ["intense"], 5: ["strong", "bold"], 4: ["mild", "subtle"],
                        3: ["muted", "faint"], 2: ["faint", "muted"], 1: ["stale", "musty"],
                        0: ["skunky", "rotten"]},
        "hint": {6: ["lovely hint", "wonderful touch"], 5: ["nice hint", "pleasant touch"],
                 4: ["hint", "touch"], 3: ["faint hint", "slight touch"], 2: ["faint hint", "trace"],
                 1: ["stale hint", "musty touch"], 0: ["nasty hint", "rotten touch"]},
    },
}

PALATE = {
    "nouns": ["mouthfeel", "palate", "feel", "body", "texture", "carbonation"],
    "markers": ["mouthfeel :", "feel :", "m :", "palate :", "mouthfeel -"],
    "describe": [
        "{W:body} body with {W:carb} carbonation .",
        "{W:body} bodied with {W:carb} carbonation .",
        "the body is {W:body} and the carbonation is {W:carb} .",
        "{W:carb} carbonation and a {W:body} body .",
    ],
    "judge": [
        "the {N} is {S} .",
        "feels {S} .",
        "{SA} {N} .",
        "it feels {X:palate_adj} in the mouth .",
        "mouthfeel is {X:palate_adj} .",
        "{W:body} body , {X:palate_adj} , with {W:carb} carbonation .",
        "the {N} is {X:palate_adj} and {S} .",
        "{W:body} body and {W:carb} carbonation , {S} overall .",
        "the body is {W:body} and {X:palate_adj} .",
        "it is {X:palate_adj} on the tongue .",
        "{X:palate_adj} and {W:carb} on the tongue .",
    ],
    "follow": [
        "it {X:palate_pred} .",
        "it {X:palate_pred} , {S} .",
        "the carbonation is {X:carb_pred} .",
    ],
    "mixed": [
        "{SA1} body , but the carbonation is {X2:carb_pred} .",
        "the body is {X1:palate_adj} , but it {X2:palate_pred} .",
        "it feels {S1} at first , but it {X2:palate_pred} .",
    ],
    "tables": {
        "palate_adj": {6: ["creamy and smooth", "silky", "velvety", "perfectly carbonated"],
                       5: ["smooth", "creamy", "crisp", "well carbonated"],
                       4: ["fairly smooth", "about right", "reasonably smooth"],
                       3: ["average", "unremarkable", "neither thin nor heavy"],
                       2: ["a bit thin", "slightly flat", "a little too fizzy"],
                       1: ["thin", "watery", "flat", "too fizzy", "harsh"],
                       0: ["thin and watery", "completely flat", "harsh and prickly"]},
        "palate_pred": {6: ["slides across the tongue like silk", "coats the mouth beautifully"],
                        5: ["goes down smooth", "sits nicely on the tongue"],
                        4: ["goes down easily enough", "sits fine on the tongue"],
                        3: ["is neither thin nor heavy", "is about what you would expect"],
                        2: ["feels a little thin on the tongue", "gets a bit prickly"],
                        1: ["feels thin and watery on the tongue", "bites the tongue harshly"],
                        0: ["is like drinking flat soda", "feels like dishwater on the tongue"]},
        "carb_pred": {6: ["perfect"], 5: ["spot on", "just right"], 4: ["about right", "fine"],
                      3: ["a bit low", "a little high"], 2: ["a bit too high", "too low"],
                      1: ["way too high", "almost flat"], 0: ["completely flat", "totally off"]},
    },
}

TASTE = {
    "nouns": ["taste", "flavor", "flavor profile", "flavour"],
    "markers": ["taste :", "t :", "flavor :", "taste -"],
    "describe": [
        "{note} up front , followed by {note} and a {W:bitterness} bitter finish .",
        "tastes of {note} , {note} and {note} .",
        "taste follows the nose with {note} and {note} .",
        "the flavor starts with {note} and moves to {note} .",
        "{W:sweetness} {note} in the middle , then a {W:dryness} finish .",
        "lots of {note} and {note} in the flavor .",
        "sweet {note} first , then {note} and a touch of {note} .",
    ],
    "judge": [
        "the {N} is {S} .",
        "tastes {S} .",
        "{SA} {N} .",
        "the {N} is {S} , with {note} and {note} .",
        "the {N} is {X:taste_adj} .",
        "{X:taste_adj} , with {note} and {note} coming through .",
        "the bitterness is {S} .",
        "{SA} {note} flavor with a {W:dryness} finish .",
        "it tastes {X:taste_adj} .",
        "a {SA} , clear {note} flavor .",
    ],
    "follow": [
        "it finishes {W:dryness} with a {SA} {note} aftertaste .",
        "the finish is {X:finish} .",
        "it {X:taste_pred} .",
        "the sweetness is {S} .",
        "the {note} is {S} and it {X:taste_pred} .",
    ],
    "mixed": [
        "the {N} is {S1} but the finish is {X2:finish} .",
        "{SA1} {note} up front , but the finish is {X2:finish} .",
        "{S1} at first , but it gets {X2:taste_turn} as it warms .",
        "the {note} is {S1} , but the {note} is {S2} .",
    ],
    "tables": {
        "taste_adj": {6: ["delicious", "complex and delicious", "rich and complex"],
                      5: ["tasty", "flavorful", "well balanced", "rich"],
                      4: ["balanced", "pleasant enough", "fairly tasty"],
                      3: ["simple", "straightforward", "fairly plain"],
                      2: ["one dimensional", "a bit thin", "a bit watery"],
                      1: ["watery", "harsh", "cloying", "metallic"],
                      0: ["sour and off", "like wet cardboard", "medicinal"]},
        "finish": {6: ["long and satisfying", "long and lovely"],
                   5: ["clean and pleasant", "nice and clean"],
                   4: ["clean", "fairly clean"],
                   3: ["short", "quick"],
                   2: ["a bit harsh", "short and thin"],
                   1: ["harsh and dry", "too bitter"],
                   0: ["really nasty", "sour and sticky"]},
        "taste_pred": {6: ["keeps getting better with every sip", "is a joy to drink"],
                       5: ["works really well together", "is well put together"],
                       4: ["holds together well enough"],
                       3: ["is what you would expect", "does not do much"],
                       2: ["falls a bit flat in the middle", "lacks depth"],
                       1: ["falls apart halfway through", "leaves a harsh aftertaste"],
                       0: ["leaves a nasty aftertaste", "is hard to swallow"]},
        "taste_turn": {6: ["even better"], 5: ["better", "more complex"], 4: ["a bit better"],
                       3: ["a bit dull"], 2: ["a bit harsh", "thin"], 1: ["harsh", "cloying"],
                       0: ["really nasty"]},
    },
}

OVERALL = {
    "nouns": ["drinkability", "overall impression"],
    "markers": ["overall :", "o :", "drinkability :", "d :", "overall -"],
    "describe": [],
    "judge": [
        "overall , a {SA} beer .",
        "overall it is {S} .",
        "drinkability is {S} .",
        "all in all , a {SA} brew .",
        "{SA} beer overall .",
        "in the end , a {SA} example of the style .",
        "a {SA} beer , {X:verdict} .",
        "overall , {X:verdict} .",
        "the {N} is {S} .",
    ],
    "follow": [
        "{X:verdict} .",
        "it is {X:drinkable} .",
    ],
    "mixed": [
        "{SA1} beer , but {X2:verdict} .",
        "overall it is {S1} , but {X2:verdict} .",
    ],
    "tables": {
        "verdict": {6: ["i will definitely buy this again", "highly recommended", "one of my favorites"],
                    5: ["i would buy this again", "recommended", "worth seeking out",
                        "looks like i found a new favorite"],
                    4: ["worth a try", "i would have another"],
                    3: ["not sure i would buy it again", "i could take it or leave it"],
                    2: ["probably will not buy this again", "not one i would seek out",
                        "i had to force myself to finish it"],
                    1: ["would not buy again", "i will not be buying this again"],
                    0: ["drain pour", "could not finish it", "avoid this one"]},
        "drinkable": {6: ["dangerously easy to drink"], 5: ["very easy to drink"],
                      4: ["easy enough to drink"], 3: ["drinkable enough"], 2: ["hard to finish"],
                      1: ["a struggle to drink"], 0: ["undrinkable"]},
    },
}

ASPECTS = (APPEARANCE, AROMA, PALATE, TASTE, OVERALL)

# Two aspects in one sentence. ``joint`` templates carry one judgement for
# both (used when the two are judged alike) and belong to both rationales;
# ``contrast`` templates are two clauses, each in its own aspect's rationale.
PAIR_NOUNS = {0: ["appearance", "look"], 1: ["aroma", "smell", "nose"], 2: ["mouthfeel", "body"],
              3: ["taste", "flavor"]}
PAIR_VERBS = {0: ["looks"], 1: ["smells"], 2: ["feels"], 3: ["tastes"]}
PAIR_JOINT = [
    "it {Va} and {Vb} {S} .",
    "{Va} and {Vb} {S} .",
    "the {Na} and {Nb} are both {S} .",
    "{SA} {Na} and {Nb} .",
    "both the {Na} and the {Nb} are {S} .",
    "{Na} and {Nb} are {S} .",
]
PAIR_CONTRAST = [
    ("the {Na} is {S1}", "but the {Nb} is {S2} ."),
    ("the {Na} is {S1} ,", "while the {Nb} is {S2} ."),
    ("{SA1} {Na} ,", "{SA2} {Nb} ."),
    ("the {Na} is {S1} ,", "the {Nb} is {S2} ."),
]

# ------------------------------------------------------------ neutral filler
# Context that is not about any aspect of this beer (never rationale). Some
# mention aspect words or sentiment words on purpose, as real reviews do.
FILLER_OPEN = [
    "poured from a {W:container} into a {W:glass} .",
    "on tap at {W:place} .",
    "served in a {W:glass} .",
    "{W:container} , poured into a {W:glass} .",
    "thanks to {W:person} for sharing this one .",
    "picked this up at {W:store} {W:time} .",
    "bought it as part of a {W:pack} .",
    "had this one at {W:place} {W:time} .",
    "this is my first beer from this brewery .",
    "i have been wanting to try this one for a while .",
    "review from notes .",
    "got this in a trade {W:time} .",
    "bottled in {W:month} , drank fresh .",
    "shared with {W:person} {W:time} .",
    "a {W:style} from a brewery i like .",
    "i had high hopes for this one .",
    "my wife picked this one up for me at {W:store} .",
    "this one has been sitting in my fridge for a few weeks .",
    "had it on a warm evening after a long day of work .",
    "first time trying a {W:style} from this brewery , so i was curious .",
    "the {W:container} was served at about cellar temperature .",
]
FILLER_MID = [
    "i let it warm up a bit to let the aroma open up .",
    "the label says to expect {note} and {note} .",
    "the brewery describes it as a {W:style} with {note} notes .",
    "the head brewer there recommended it .",
    "the {W:thing} was {S} .",
    "the label has a {SA} picture of a {W:animal} .",
    "i usually like this style .",
    "drank this with {W:food} .",
    "my {W:glass} was a bit too cold at first .",
    "this style is not really my thing .",
    "not sure what i expected from a {W:style} .",
    "the bottle says it is a {W:style} .",
    "i poured it a bit too fast into the {W:glass} .",
    "i remember having this one years ago .",
    "the {W:glass} helps a lot with this style .",
    "the alcohol is listed at about six percent .",
    "the bottle notes mention {note} , {note} and a {W:body} body .",
    "i feel like this style is everywhere these days .",
    "it looks like they changed the label recently .",
    "my friend says it tastes better on tap .",
    "the bottle says to pour it slowly .",
]
FILLER_CLOSE = [
    "cheers !",
    "thanks again to {W:person} .",
    "would like to try it on tap some day .",
    "paired well with {W:food} .",
    "the {W:thing} was {S} though .",
    "i need to try more from this brewery .",
    "that is all for now .",
    "i will have to try the barrel aged version next time .",
    "thanks for reading .",
    "hope this review helps someone .",
    "next time i will try it fresh on tap .",
]

# Words BERT's uncased vocabulary splits into word pieces; kept because
# beer reviews use them (a test keeps this list honest).
WORDPIECE_WORDS = frozenset({
    "aftertaste", "biscuit", "bock", "caramel", "carbonated", "carbonation", "clove", "cloying",
    "coriander", "dishwater", "drinkability", "drinkable", "dubbel", "earthy", "fizzy", "flavorful",
    "fragrant", "frothy", "grapefruit", "hops", "lacing", "lager", "malt", "mediocre", "mouthfeel",
    "murky", "musty", "palate", "pilsner", "pint", "pours", "prickly", "raisin", "saison", "skunky",
    "soapy", "spotty", "tasty", "toasted", "toffee", "tripel", "tulip", "underwhelming",
    "undrinkable", "unremarkable", "velvety", "warms",
})
