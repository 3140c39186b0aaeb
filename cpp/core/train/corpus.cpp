#include "train/corpus.hpp"

#include <algorithm>
#include <initializer_list>
#include <map>

#include "rng.hpp"

namespace llmsim {

namespace {

// ---------------------------------------------------------------------------
// Vocabulary. Every word list is one category of the semantic probes.

enum Category { kAnimal, kFood, kToy, kClothing, kThing, kNature, kPlace, kPerson };

const std::vector<std::string> kAnimals = {
    "cat",    "dog",     "bird",   "fish",   "frog",  "duck",   "rabbit",   "horse", "cow",
    "pig",    "sheep",   "mouse",  "bear",   "lion",  "tiger",  "fox",      "owl",   "bee",
    "goat",   "elephant", "monkey", "turtle", "hen",   "puppy", "kitten",   "deer",  "squirrel"};
const std::vector<std::string> kFoods = {
    "apple", "banana", "cake",  "cookie", "pie",        "carrot", "pear",    "grape",
    "plum",  "lemon",  "cherry", "egg",   "sandwich",   "pizza",  "muffin",  "strawberry",
    "tomato", "potato", "peach", "pancake", "cupcake",  "melon",  "bun",     "biscuit"};
const std::vector<std::string> kToys = {
    "ball",  "kite",    "doll",   "drum",   "puzzle", "robot", "balloon", "block", "boat",
    "train", "whistle", "puppet", "wagon",  "marble", "crayon", "truck",  "plane"};
const std::vector<std::string> kClothes = {
    "hat",  "coat", "shoe",   "sock",   "scarf",   "dress", "shirt", "boot",
    "glove", "cap", "jacket", "skirt",  "sweater", "belt",  "mitten"};
const std::vector<std::string> kThings = {
    "mat",  "rug",  "chair",  "table",  "bed",    "box",    "basket", "cup",
    "plate", "bowl", "door",  "window", "sofa",   "lamp",   "shelf",  "blanket",
    "pillow", "bucket", "jar", "bag",   "spoon",  "book",   "clock",  "bench"};
const std::vector<std::string> kNatureWords = {
    "tree", "flower", "leaf",  "rock",  "stick", "cloud", "star", "shell",
    "feather", "acorn", "mushroom", "puddle", "bush", "seed", "nest", "pebble"};
const std::vector<std::string> kPlaces = {
    "park",  "garden", "forest", "beach",   "farm",  "school", "kitchen", "house",
    "river", "lake",   "hill",   "town",    "village", "market", "library", "zoo",
    "castle", "field", "pond",   "cave",    "shop",  "city",   "island",  "meadow"};
// People met in a story: family and friends take "his"/"her", the others "the".
const std::vector<std::string> kFamily = {"mum",    "dad",   "grandma", "grandpa",
                                          "sister", "brother", "aunt",  "uncle",
                                          "friend", "teacher", "neighbour"};
const std::vector<std::string> kRoles = {"farmer", "baker", "king", "queen", "doctor", "baby"};
const std::vector<std::string> kColours = {"red",    "blue",  "green", "yellow", "orange",
                                           "purple", "pink",  "brown", "black",  "white",
                                           "grey",   "gold",  "silver"};
const std::vector<std::string> kNumbers = {"one", "two",   "three", "four",   "five",   "six",
                                           "seven", "eight", "nine", "ten", "eleven", "twelve"};
const std::vector<std::string> kFeelings = {
    "happy", "sad",   "angry",   "scared", "tired",  "hungry", "excited", "proud", "sleepy",
    "surprised", "shy", "brave", "lonely", "calm",   "curious", "cheerful", "grumpy"};
const std::vector<std::string> kGirls = {"Mia",  "Lily", "Anna", "Lucy", "Emma", "Zoe",
                                         "Sara", "Ella", "Ruby", "Nina", "Amy",  "Rose",
                                         "Kate", "Jane", "Eva",  "Maya"};
const std::vector<std::string> kBoys = {"Tom",  "Ben",  "Sam",  "Max",  "Jack", "Leo",
                                        "Tim",  "Noah", "Finn", "Omar", "Dan",  "Joe",
                                        "Luke", "Adam", "Ravi", "Hugo"};

// Describing adjectives that suit every noun of a category (colours are separate).
// Those that name a material or pattern go after a colour: "a red wooden box".
const std::map<Category, std::vector<std::string>> kAdjectives = {
    {kAnimal, {"big", "small", "little", "tiny", "old", "young", "friendly", "cute", "noisy",
               "gentle", "clever", "playful", "funny"}},
    {kFood, {"big", "small", "little", "sweet", "yummy", "fresh", "tasty", "lovely"}},
    {kToy, {"big", "small", "little", "shiny", "new", "old", "lovely", "wooden"}},
    {kClothing, {"big", "little", "warm", "soft", "clean", "dirty", "new", "old", "woolly",
                 "striped", "spotty"}},
    {kThing, {"big", "small", "little", "old", "new", "clean", "dusty", "heavy", "wooden"}},
    {kNature, {"big", "small", "little", "tiny", "pretty", "strange", "shiny", "lovely"}},
    {kPlace, {"big", "small", "quiet", "busy", "sunny", "old", "lovely", "beautiful"}},
};
bool goes_after_colour(const std::string& adjective) {
  return adjective == "wooden" || adjective == "woolly" || adjective == "striped" ||
         adjective == "spotty";
}

const std::vector<std::string>& nouns_of(Category c) {
  switch (c) {
    case kAnimal: return kAnimals;
    case kFood: return kFoods;
    case kToy: return kToys;
    case kClothing: return kClothes;
    case kThing: return kThings;
    case kNature: return kNatureWords;
    case kPlace: return kPlaces;
    case kPerson: break;
  }
  return kFamily;
}

std::string plural_of(const std::string& noun) {
  static const std::map<std::string, std::string> irregular = {
      {"mouse", "mice"},   {"sheep", "sheep"},   {"fish", "fish"},       {"deer", "deer"},
      {"leaf", "leaves"},  {"shelf", "shelves"}, {"scarf", "scarves"},   {"tomato", "tomatoes"},
      {"potato", "potatoes"}};
  auto it = irregular.find(noun);
  if (it != irregular.end()) return it->second;
  auto ends_with = [&](const char* tail) {
    const std::string t = tail;
    return noun.size() >= t.size() && noun.compare(noun.size() - t.size(), t.size(), t) == 0;
  };
  if (ends_with("s") || ends_with("x") || ends_with("ch") || ends_with("sh")) return noun + "es";
  if (noun.size() > 1 && ends_with("y") && std::string("aeiou").find(noun[noun.size() - 2]) ==
                                               std::string::npos)
    return noun.substr(0, noun.size() - 1) + "ies";
  return noun + "s";
}

// How one is somewhere: "in the park", "on the beach", "by the river".
std::string locative(const std::string& place) {
  static const std::map<std::string, std::string> prep = {
      {"beach", "on"}, {"farm", "on"},  {"hill", "on"},   {"island", "on"}, {"school", "at"},
      {"market", "at"}, {"library", "at"}, {"zoo", "at"}, {"shop", "at"},   {"river", "by"},
      {"lake", "by"},  {"pond", "by"}};
  auto it = prep.find(place);
  return (it == prep.end() ? std::string("in") : it->second) + " the " + place;
}

// A transitive verb and the objects it takes: categories, or listed nouns only.
struct Verb {
  std::string base, third, past;
  std::vector<Category> categories;
  std::vector<std::string> only;
  bool animals_do;  // whether an animal may be its subject
};

const std::vector<Verb> kVerbs = {
    {"see", "sees", "saw", {kAnimal, kFood, kToy, kClothing, kThing, kNature}, {}, true},
    {"find", "finds", "found", {kAnimal, kFood, kToy, kClothing, kNature}, {"box", "basket", "bag", "book"}, true},
    {"like", "likes", "liked", {kAnimal, kFood, kToy, kClothing, kNature}, {}, true},
    {"love", "loves", "loved", {kAnimal, kFood, kToy, kClothing}, {}, true},
    {"want", "wants", "wanted", {kAnimal, kFood, kToy, kClothing}, {}, true},
    {"take", "takes", "took", {kFood, kToy, kClothing, kNature}, {}, true},
    {"hold", "holds", "held", {kFood, kToy, kNature}, {}, false},
    {"carry", "carries", "carried", {kFood, kToy, kThing, kNature}, {}, true},
    {"drop", "drops", "dropped", {kFood, kToy, kNature}, {}, true},
    {"hide", "hides", "hid", {kFood, kToy, kClothing, kNature}, {}, true},
    {"lose", "loses", "lost", {kToy, kClothing}, {}, true},
    {"share", "shares", "shared", {kFood, kToy}, {}, true},
    {"eat", "eats", "ate", {kFood}, {}, true},
    {"buy", "buys", "bought", {kFood, kToy, kClothing, kThing}, {}, false},
    {"wear", "wears", "wore", {kClothing}, {}, false},
    {"wash", "washes", "washed", {kClothing, kThing}, {}, false},
    {"feed", "feeds", "fed", {kAnimal}, {}, false},
    {"pet", "pets", "petted", {kAnimal}, {}, false},
    {"hug", "hugs", "hugged", {kAnimal}, {}, false},
    {"chase", "chases", "chased", {kAnimal}, {"ball", "balloon"}, true},
    {"watch", "watches", "watched", {kAnimal, kNature}, {}, true},
    {"draw", "draws", "drew", {kAnimal, kFood, kToy, kClothing, kThing, kNature}, {}, false},
    {"paint", "paints", "painted", {kToy, kThing}, {}, false},
    {"pick up", "picks up", "picked up", {kFood, kToy, kNature}, {}, false},
    {"fix", "fixes", "fixed", {kToy, kThing}, {}, false},
    {"smell", "smells", "smelled", {kFood}, {"flower", "mushroom"}, true},
    {"sniff", "sniffs", "sniffed", {kFood, kToy, kClothing, kNature}, {}, true},
    {"open", "opens", "opened", {}, {"box", "door", "window", "bag", "jar", "book", "basket"}, false},
    {"make", "makes", "made", {}, {"cake", "pie", "sandwich", "pizza", "pancake", "kite", "boat",
                                   "puppet", "hat", "drum", "nest"}, false},
    {"bake", "bakes", "baked", {}, {"cake", "pie", "cookie", "muffin", "cupcake", "bun",
                                    "biscuit"}, false},
    {"throw", "throws", "threw", {}, {"ball", "stick", "pebble", "marble", "acorn"}, false},
    {"kick", "kicks", "kicked", {}, {"ball", "pebble", "acorn"}, false},
    {"fly", "flies", "flew", {}, {"kite", "plane"}, false},
    {"read", "reads", "read", {}, {"book"}, false},
    {"catch", "catches", "caught", {}, {"ball", "fish", "frog", "leaf", "feather"}, true},
    {"plant", "plants", "planted", {}, {"seed", "tree", "flower", "carrot", "potato", "tomato"},
     false},
    {"collect", "collects", "collected", {kNature}, {}, false},
};

// Nature one cannot pick up: only seen, watched, liked or drawn ("dropped a tree").
bool is_fixed(const std::string& noun) {
  return noun == "tree" || noun == "cloud" || noun == "star" || noun == "puddle" ||
         noun == "bush" || noun == "nest";
}

bool verb_takes(const Verb& v, const std::string& noun, Category c) {
  for (const std::string& w : v.only)
    if (w == noun) return true;
  if (is_fixed(noun) && v.base != "see" && v.base != "watch" && v.base != "like" && v.base != "draw")
    return false;
  for (Category k : v.categories)
    if (k == c) return true;
  return false;
}

// Small enough to hand to someone.
bool can_give(const std::string& noun, Category c) {
  return c == kFood || c == kToy || c == kClothing || (c == kNature && !is_fixed(noun));
}

// Colours a thing can have; nouns not listed take any colour. Food and animals
// keep their real colours so "yellow" goes with "banana", not with "pizza".
const std::vector<std::string> kAnimalColours = {"brown", "black", "white", "grey", "orange",
                                                 "gold"};
const std::map<std::string, std::vector<std::string>> kNaturalColours = {
    {"apple", {"red", "green"}},   {"banana", {"yellow"}},         {"pear", {"green", "yellow"}},
    {"grape", {"green", "purple"}}, {"plum", {"purple", "red"}},   {"lemon", {"yellow"}},
    {"cherry", {"red"}},            {"strawberry", {"red"}},        {"tomato", {"red", "green"}},
    {"carrot", {"orange"}},         {"peach", {"orange", "pink"}},  {"melon", {"green", "yellow"}},
    {"egg", {"white", "brown"}},    {"cake", {"pink", "white", "brown"}},
    {"cupcake", {"pink", "white"}}, {"potato", {"brown"}},          {"leaf", {"green", "yellow", "red", "brown"}},
    {"cloud", {"white", "grey"}},   {"star", {"gold", "silver", "white"}},
    {"rock", {"grey", "brown"}},    {"stick", {"brown"}},           {"acorn", {"brown"}},
    {"shell", {"white", "pink"}},   {"mushroom", {"brown", "red", "white"}},
    {"bush", {"green"}},            {"tree", {"green"}},            {"pebble", {"grey", "white", "black"}},
    {"puddle", {"brown"}},          {"seed", {"brown", "black"}},   {"nest", {"brown"}}};

// Mixing paints: true facts, so their last word is predictable.
struct ColourMix {
  const char *a, *b, *result;
};
const ColourMix kMixes[] = {{"red", "yellow", "orange"}, {"blue", "yellow", "green"},
                            {"red", "blue", "purple"},   {"red", "white", "pink"},
                            {"black", "white", "grey"}};

// ---------------------------------------------------------------------------
// Text helpers

std::string capitalised(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = char(s[0] - 'a' + 'A');
  return s;
}

// "a" or "an" for the phrase that follows.
std::string with_article(const std::string& phrase) {
  const bool vowel = !phrase.empty() && std::string("aeiou").find(phrase[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + phrase;
}

// Concatenates parts evaluated strictly left to right. Sentences are built with
// cat({...}) rather than a + b + c because the operands of + may be evaluated in
// any order, and parts that draw random numbers would then give different text
// under GCC and Clang (native vs WASM); a braced list is evaluated in order.
std::string cat(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// "red, blue and green"
std::string list_and(const std::vector<std::string>& items) {
  if (items.size() == 1) return items[0];
  std::vector<std::string> head(items.begin(), items.end() - 1);
  return join(head, ", ") + " and " + items.back();
}

// ---------------------------------------------------------------------------
// The document writer

struct Noun {
  std::string word;
  Category category;
};

struct Character {
  std::string name;
  bool female = false;
  std::string kind;  // "girl", "boy", or an animal
  bool animal = false;
};

// How a noun was first described, so later mentions agree ("a red ball" ... "the
// red ball", never "the blue ball").
struct Description {
  std::string adjective, colour;
};

class DocumentWriter {
 public:
  DocumentWriter(Rng& rng, const CorpusOptions& options) : rng_(rng), options_(options) {}

  std::string document() {
    begin_document();
    std::vector<std::string> sentences;
    // Weight 0 for the game keeps the draws, so the text, of a corpus without it.
    const int kind = weighted({12, 4, 2, 2, 1, options_.word_game ? 4 : 0});
    switch (kind) {
      case 0: sentences = story(); break;
      case 1: sentences = description(); break;
      case 2: sentences = counting(); break;
      case 3: sentences = colours(); break;
      case 4: sentences = rhyme(); break;
      default: sentences = word_game(); break;
    }
    // A rhyme repeats itself already; a repeat in a word game would be a snap.
    const double r = kind >= 4 ? 1.0 : rng_.uniform();
    if (r < 0.11) add_repeated_sentence(sentences);
    else if (r < 0.22) add_magic_words(sentences);
    for (std::string& s : sentences) s = capitalised(s);
    return join(sentences, " ");
  }

 private:
  // ---- random choices
  int below(size_t n) { return int(rng_.next_u64() % uint64_t(n)); }
  bool chance(double p) { return rng_.uniform() < p; }
  const std::string& pick(const std::vector<std::string>& v) { return v[size_t(below(v.size()))]; }
  std::string one_of(std::initializer_list<const char*> options) {
    return *(options.begin() + below(options.size()));
  }
  int weighted(std::initializer_list<int> weights) {
    int total = 0;
    for (int w : weights) total += w;
    int r = below(size_t(total)), i = 0;
    for (int w : weights) {
      if (r < w) return i;
      r -= w;
      ++i;
    }
    return i - 1;
  }

  // ---- the state of one document
  void begin_document() {
    described_.clear();
    hero_named_ = false;
    hero_ = make_character(/*may_be_animal=*/chance(0.3));
    do friend_ = make_character(false);
    while (friend_.name == hero_.name);
    static const Category topics[] = {kAnimal, kAnimal, kAnimal, kFood, kFood, kToy,
                                      kToy,    kClothing, kNature, kThing};
    topic_ = topics[below(std::size(topics))];
    cast_.clear();
    const int n_cast = 2 + below(2);
    while (int(cast_.size()) < n_cast) {
      const std::string& w = pick(nouns_of(topic_));
      bool seen = w == hero_.kind;
      for (const Noun& n : cast_) seen = seen || n.word == w;
      if (!seen) cast_.push_back({w, topic_});
    }
    place_ = pick(kPlaces);
  }

  Character make_character(bool animal) {
    Character c;
    c.female = chance(0.5);
    c.name = pick(c.female ? kGirls : kBoys);
    c.animal = animal;
    c.kind = animal ? pick(kAnimals) : (c.female ? "girl" : "boy");
    return c;
  }

  std::string he() const { return hero_.female ? "she" : "he"; }
  std::string his() const { return hero_.female ? "her" : "his"; }

  // The hero as a subject: the name on first mention, then name, pronoun or kind.
  std::string hero() {
    if (!hero_named_) {
      hero_named_ = true;
      return hero_.name;
    }
    const int r = weighted({4, 5, 1});
    return r == 0 ? hero_.name : r == 1 ? he() : "the " + hero_.kind;
  }

  // Mostly the document's cast, sometimes another word of its topic, rarely any
  // category: the co-occurrence a semantic head can pick up, with some noise.
  Noun topic_noun() {
    const int r = weighted({15, 4, 1});
    if (r == 0) return cast_[size_t(below(cast_.size()))];
    if (r == 1) return {pick(nouns_of(topic_)), topic_};
    static const Category any[] = {kAnimal, kFood, kToy, kClothing, kThing, kNature};
    const Category c = any[below(std::size(any))];
    return {pick(nouns_of(c)), c};
  }

  Description& description_of(const Noun& n) {
    auto it = described_.find(n.word);
    if (it != described_.end()) return it->second;
    Description d;
    if (chance(0.5)) d.adjective = pick(kAdjectives.at(n.category));
    if (chance(0.4)) d.colour = natural_colour(n);
    return described_[n.word] = d;
  }

  // "big red ball", "red wooden box"
  std::string described(const Noun& n) {
    const Description& d = description_of(n);
    std::vector<std::string> words;
    const bool adjective_last = goes_after_colour(d.adjective);
    if (!d.adjective.empty() && !adjective_last) words.push_back(d.adjective);
    if (!d.colour.empty()) words.push_back(d.colour);
    if (!d.adjective.empty() && adjective_last) words.push_back(d.adjective);
    words.push_back(n.word);
    return join(words, " ");
  }

  // "a big red ball" on first mention; then "the ball" or "the big red ball".
  std::string noun_phrase(const Noun& n) {
    const bool first = described_.find(n.word) == described_.end();
    if (first) return with_article(described(n));
    return "the " + (chance(0.4) ? described(n) : n.word);
  }

  std::string colour_of(const Noun& n) {
    Description& d = description_of(n);
    if (d.colour.empty()) d.colour = natural_colour(n);
    if (d.colour.empty()) d.colour = "tasty";  // a food without a colour of its own
    return d.colour;
  }

  std::string natural_colour(const Noun& n) {
    auto it = kNaturalColours.find(n.word);
    if (it != kNaturalColours.end()) return pick(it->second);
    if (n.category == kAnimal) return pick(kAnimalColours);
    if (n.category == kFood) return "";  // pizza, sandwich, pie: no colour worth saying
    return pick(kColours);
  }

  std::string place_phrase() { return locative(chance(0.7) ? place_ : pick(kPlaces)); }

  // A verb for this object, one the hero can do (animals do fewer things).
  // With `action_only`, no verbs of liking ("wanted to love the train").
  const Verb& verb_for(const Noun& n, bool animal_subject, bool action_only = false) {
    std::vector<const Verb*> fits;
    for (const Verb& v : kVerbs) {
      if (action_only && (v.base == "like" || v.base == "love" || v.base == "want")) continue;
      if (verb_takes(v, n.word, n.category) && (v.animals_do || !animal_subject)) fits.push_back(&v);
    }
    return *fits[size_t(below(fits.size()))];  // "see" takes every category we pass
  }

  std::string seat() {
    static const std::vector<std::string> seats = {"mat", "rug",   "chair", "bed",    "sofa",
                                                   "bench", "box", "pillow", "blanket", "table"};
    return chance(0.45) ? "mat" : pick(seats);
  }

  std::string count_phrase(int n, const std::string& noun) {
    return kNumbers[size_t(n - 1)] + " " + (n == 1 ? noun : plural_of(noun));
  }

  // "one, two, three"
  std::string counting_up_to(int n) {
    std::vector<std::string> words(kNumbers.begin(), kNumbers.begin() + n);
    return join(words, ", ");
  }

  // ---- stories (past tense)
  std::vector<std::string> story() {
    std::vector<std::string> s = {opening()};
    if (chance(0.3)) s.push_back(cat({"it was a ", one_of({"sunny", "rainy", "cold", "warm", "windy"}), " day."}));
    const int n_body = 3 + below(4);
    for (int i = 0; i < n_body; ++i) {
      std::vector<std::string> part = story_sentence();
      s.insert(s.end(), part.begin(), part.end());
    }
    s.push_back(ending());
    if (chance(0.15)) s.push_back("the end.");
    return s;
  }

  std::string opening() {
    const std::string adj = one_of({"little", "little", "young", "happy", "brave", "curious",
                                    "kind", "small", "shy"});
    const std::string hero_kind = adj + " " + hero_.kind;
    hero_named_ = true;
    switch (weighted({5, 2, 2, 2})) {
      case 0:
        return cat({"once upon a time, there was ", with_article(hero_kind), " named ", hero_.name, "."});
      case 1: {
        const std::string where = cat({one_of({"small", "quiet", "big", "little"}), " ",
                                       one_of({"village", "town", "forest"})});
        return cat({"once upon a time, in ", with_article(where), ", there lived ",
                    with_article(hero_kind), " called ", hero_.name, "."});
      }
      case 2:
        if (!hero_.animal)
          return cat({"one day, ", hero_.name, " went to the ", place_, " with ", his(), " ",
                      pick(kFamily), "."});
        return cat({"one day, ", hero_.name, " the ", hero_.kind, " went to the ", place_, "."});
      default:
        return cat({hero_.name, " was ", with_article(hero_kind), " who loved ",
                    plural_of(cast_[0].word), "."});
    }
  }

  // One to three sentences of a story.
  std::vector<std::string> story_sentence() {
    const Noun o = topic_noun();
    std::string lead;
    if (chance(0.25)) lead = one_of({"then, ", "after that, ", "later, ", "suddenly, ", "soon, "});
    switch (weighted({4, 6, 2, 2, 2, 2, 2, 2, 2, 3, 2, 2, 2, 2, 2, 2, 2, 2, 3})) {
      case 0:
        return {cat({lead, hero(), " saw ", noun_phrase(o), " ", place_phrase(), "."})};
      case 1: {
        const Verb& v = verb_for(o, hero_.animal);
        return {cat({lead, hero(), " ", v.past, " ", noun_phrase(o), "."})};
      }
      case 2: {
        const Verb& v = verb_for(o, hero_.animal, true);
        return {cat({lead, hero(), " wanted to ", v.base, " ", noun_phrase(o), "."})};
      }
      case 3: {
        const Verb& v = verb_for(o, hero_.animal, true);
        return {cat({lead, hero(), " and ", friend_.name, " ", v.past, " ", noun_phrase(o),
                     " together."})};
      }
      case 4:
        if (o.category == kAnimal) return animal_acts(o, lead);
        if (!can_give(o.word, o.category)) return {cat({lead, hero(), " saw ", noun_phrase(o), "."})};
        return {cat({lead, hero(), " gave ", noun_phrase(o), " to ", friend_.name, "."})};
      case 5: {
        noun_phrase(o);  // the first mention fixes the description
        return {cat({"\"Look at the ", described(o), "!\" said ", hero_.name, "."}),
                cat({lead, hero(), " pointed at ", phrase_the(o), "."})};
      }
      case 6:
        noun_phrase(o);
        return {cat({"\"I like your ", described(o), ",\" said ", friend_.name, "."})};
      case 7:
        return {cat({hero_.name, " said, \"", capitalised(quote(o)), "\""})};
      case 8:
        return {cat({lead, hero(), " ", one_of({"was very ", "felt ", "was so ", "was a little "}),
                     pick(kFeelings), "."})};
      case 9:
        if (o.category == kAnimal && chance(0.5))
          return {cat({lead, "the ", o.word, " sat on the ", seat(), "."})};
        return {cat({lead, hero(), " sat on the ", seat(), "."})};
      case 10: {
        const std::string where = chance(0.5) ? place_ : pick(kPlaces);
        if (chance(0.5))
          return {cat({lead, hero(), " ", one_of({"ran", "walked", "went", "hurried"}), " to the ",
                       where, "."})};
        return {cat({lead, hero(), " went to the ", where, " with ", friend_.name, "."})};
      }
      case 11:
        if (o.category == kToy || o.category == kAnimal)
          return {cat({lead, hero(), " played with ", noun_phrase(o), " ", place_phrase(), "."})};
        return {cat({lead, hero(), " played ", place_phrase(), "."})};
      case 12:
        if (chance(0.3))
          return {cat({lead, hero(), " met the ", pick(kRoles), " ", place_phrase(), "."})};
        return lost_and_found();
      case 13: {
        const int n = 1 + below(12);
        return {cat({n == 1 ? "there was " : "there were ", count_phrase(n, o.word), " ",
                     place_phrase(), "."})};
      }
      case 14:
        if (chance(0.2)) return {cat({lead, hero(), " waved to ", friend_.name, "."})};
        return {cat({lead, hero(), " ",
                     one_of({"smiled.", "laughed.", "laughed and clapped.", "jumped up and down.",
                             "danced and sang."})})};
      case 15:
        return {cat({lead, hero(), " ", obstacle(), "."})};
      case 16: {
        const Verb& v = verb_for(o, false);
        const std::string who =
            chance(0.6) ? cat({his(), " ", pick(kFamily)}) : cat({"the ", pick(kRoles)});
        return {cat({lead, who, " ", v.past, " ", noun_phrase(o), "."})};
      }
      case 17:
        if (o.category == kAnimal) return animal_acts(o, lead);
        return animal_acts({pick(kAnimals), kAnimal}, lead);
      default: {
        const Noun other = topic_noun();
        const Verb& v = verb_for(o, hero_.animal, true);
        const Verb& w = verb_for(other, friend_.animal, true);
        if (other.word == o.word) return {cat({lead, hero(), " ", v.past, " ", noun_phrase(o), "."})};
        return {cat({lead, hero(), " ", v.past, " ", noun_phrase(o), ", and ", friend_.name, " ",
                     w.past, " ", noun_phrase(other), "."})};
      }
    }
  }

  // An animal as the subject: "The little brown dog found a stick."
  std::vector<std::string> animal_acts(const Noun& animal, const std::string& lead) {
    static const Category objects[] = {kFood, kToy, kNature, kClothing};
    Noun o = topic_noun();
    if (o.category == kAnimal || o.category == kThing) {
      const Category c = objects[below(std::size(objects))];
      o = {pick(nouns_of(c)), c};
    }
    const std::string subject = animal.word == hero_.kind ? hero() : noun_phrase(animal);
    const Verb& v = verb_for(o, true);
    return {cat({lead, subject, " ", v.past, " ", noun_phrase(o), "."})};
  }

  // "the ball" or "the big red ball", for a noun already introduced.
  std::string phrase_the(const Noun& n) { return "the " + (chance(0.5) ? described(n) : n.word); }

  // What the hero says: a sentence in the present tense.
  std::string quote(const Noun& o) {
    switch (weighted({2, 2, 1, 1, 1})) {
      case 0: return cat({"I want to ", verb_for(o, false, true).base, " the ", o.word, "."});
      case 1: return cat({"let's go to the ", place_, "!"});
      case 2: return cat({"where is my ", o.word, "?"});
      case 3: return cat({"this is my ", described(o), "."});
      default: return cat({"I love ", plural_of(o.word), "!"});
    }
  }

  std::vector<std::string> lost_and_found() {
    Noun lost = topic_noun();
    if (lost.category != kToy && lost.category != kClothing) lost = {pick(kToys), kToy};
    described(lost);
    static const std::vector<std::string> hiding = {"bed", "sofa", "table", "chair", "rug",
                                                    "blanket", "pillow", "bench"};
    std::vector<std::string> s;
    s.push_back(cat({hero(), " could not find ", his(), " ", lost.word, "."}));
    s.push_back(cat({hero(), " looked for it ", place_phrase(), "."}));
    s.push_back(cat({"at last, ", hero(), " found it under the ", pick(hiding), "."}));
    return s;
  }

  std::string obstacle() {
    switch (weighted({1, 1, 1, 1})) {
      case 0: return "jumped over the " + one_of({"rock", "stick", "puddle", "box", "log", "bush"});
      case 1: return "hid behind the " + one_of({"tree", "door", "sofa", "bush", "rock", "chair"});
      case 2: return "swam in the " + one_of({"river", "lake", "pond", "sea"});
      default: return "climbed up the " + one_of({"tree", "hill", "stairs", "rock"});
    }
  }

  std::string ending() {
    switch (weighted({2, 2, 1, 2, 1, 1})) {
      case 0: return cat({"from that day on, ", hero_.name, " and ", friend_.name, " were best friends."});
      case 1: return cat({hero_.name, " smiled and went home."});
      case 2: return "it was the best day ever.";
      case 3: return cat({hero_.name, " was very ", one_of({"happy", "proud", "tired", "happy"}), "."});
      case 4: return cat({"that night, ", hero_.name, " slept well."});
      default: return cat({hero_.name, " loved ", his(), " ", cast_[0].word, " very much."});
    }
  }

  // ---- descriptions (present tense, third person singular)
  std::vector<std::string> description() {
    std::vector<std::string> s;
    s.push_back(cat({hero_.name, " likes ", plural_of(cast_[0].word), "."}));
    hero_named_ = true;
    const int n_body = 3 + below(4);
    for (int i = 0; i < n_body; ++i) s.push_back(description_sentence());
    s.push_back(cat({hero_.name, " is very ", one_of({"happy", "proud", "happy", "cheerful"}), "."}));
    return s;
  }

  std::string description_sentence() {
    const Noun o = topic_noun();
    switch (weighted({2, 2, 2, 2, 1, 2, 2})) {
      case 0: return cat({hero(), " has ", noun_phrase(o), "."});
      case 1: return cat({"the ", o.word, " is ", colour_of(o), "."});
      case 2: {
        const Verb& v = verb_for(o, hero_.animal, true);
        return cat({one_of({"every day, ", "every morning, ", "after school, ", ""}), hero(), " ",
                    v.third, " ", noun_phrase(o), "."});
      }
      case 3: {
        const int n = 2 + below(11);
        return cat({hero(), " has ", count_phrase(n, o.word), "."});
      }
      case 4:
        if (o.category == kClothing)
          return cat({"when it is ", one_of({"cold", "windy", "rainy"}), ", ", hero(), " wears ",
                      his(), " ", described(o), "."});
        return cat({"the ", o.word, " is ", one_of({"on", "under", "next to"}), " the ",
                    one_of({"table", "chair", "bed", "sofa", "shelf", "bench", "rug", "mat"}), "."});
      case 5:
        if (o.category == kAnimal) return cat({"the ", o.word, " likes ", plural_of(pick(kFoods)), "."});
        return cat({hero(), " and ", friend_.name, " like ", plural_of(o.word), "."});
      default: {
        const Verb& v = verb_for(o, false, true);
        return cat({friend_.name, " ", v.third, " ", noun_phrase(o), " ", place_phrase(), "."});
      }
    }
  }

  // ---- counting
  std::vector<std::string> counting() {
    std::vector<std::string> s;
    hero_named_ = true;
    const std::string where = one_of({"farm", "zoo", "park", "market", "garden", "pond", "beach"});
    s.push_back(cat({hero_.name, " went to the ", where, " with ", friend_.name, "."}));
    // The first count is then counted out loud, so the numbers agree.
    const int n = 2 + below(9);
    std::vector<std::string> seen = {count_phrase(n, cast_[0].word)};
    for (size_t i = 1; i < cast_.size(); ++i) seen.push_back(count_phrase(1 + below(12), cast_[i].word));
    s.push_back(cat({he(), " saw ", list_and(seen), "."}));
    s.push_back(cat({"they counted the ", plural_of(cast_[0].word), ": ", counting_up_to(n), "."}));
    s.push_back(cat({"there were ", kNumbers[size_t(n - 1)], " ", plural_of(cast_[0].word), "."}));
    // Taking away: the arithmetic is right, so the last number is predictable.
    const std::string food = pick(kFoods);
    const int have = 2 + below(11);
    const int ate = 1 + below(size_t(have - 1));
    s.push_back(cat({hero_.name, " had ", count_phrase(have, food), "."}));
    s.push_back(cat({he(), " ate ", kNumbers[size_t(ate - 1)], " of them."}));
    s.push_back(cat({"now ", he(), " had ", count_phrase(have - ate, food), "."}));
    if (chance(0.5))
      s.push_back(cat({hero_.name, " and ", friend_.name, " counted to ",
                       kNumbers[size_t(4 + below(8))], "."}));
    return s;
  }

  // ---- colours
  std::vector<std::string> colours() {
    std::vector<std::string> s;
    hero_named_ = true;
    s.push_back(cat({hero_.name, " loved colours."}));
    const std::string favourite = pick(kColours);
    s.push_back(cat({his(), " favourite colour was ", favourite, "."}));
    const std::string clothes[2] = {pick(kClothes), pick(kClothes)};
    const std::string second = clothes[1] == clothes[0] ? "kite" : clothes[1];
    std::vector<std::string> owned;
    for (const std::string& thing : {clothes[0], pick(kToys), second})
      owned.push_back(with_article(cat({pick(kColours), " ", thing})));
    s.push_back(cat({he(), " had ", list_and(owned), "."}));
    s.push_back(cat({he(), " painted the ", pick(kThings), " ", favourite, "."}));
    const ColourMix& mix = kMixes[below(std::size(kMixes))];
    s.push_back(cat({"when ", he(), " mixed ", mix.a, " and ", mix.b, ", ", he(), " got ",
                     mix.result, "."}));
    const Noun a = {pick(kAnimals), kAnimal}, b = {pick(kAnimals), kAnimal};
    if (a.word != b.word)
      s.push_back(cat({he(), " saw ", with_article(cat({natural_colour(a), " ", a.word})), " and ",
                       with_article(cat({natural_colour(b), " ", b.word})), "."}));
    if (chance(0.5)) s.push_back("the sky was blue, and the grass was green.");
    return s;
  }

  // ---- a nursery rhyme: "The cat sat on the mat. The dog sat on the log."
  std::vector<std::string> rhyme() {
    static const std::pair<const char*, const char*> rhymes[] = {
        {"cat", "mat"}, {"cat", "mat"}, {"dog", "log"},  {"frog", "log"},  {"fox", "box"},
        {"bear", "chair"}, {"goat", "boat"}, {"mouse", "house"}, {"duck", "truck"},
        {"fish", "dish"}, {"hen", "pen"}, {"bee", "tree"}};
    std::vector<std::string> lines;
    const int n = 3 + below(3);
    while (int(lines.size()) < n) {
      const auto& [animal, seat] = rhymes[below(std::size(rhymes))];
      const std::string line = cat({"the ", animal, " sat on the ", seat, "."});
      if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
    }
    std::vector<std::string> s;
    hero_named_ = true;
    if (chance(0.5)) s.push_back(cat({hero_.name, " sang a funny song."}));
    s.insert(s.end(), lines.begin(), lines.end());
    s.push_back(cat({hero_.name, " ", one_of({"laughed", "clapped", "smiled"}), " and sang it again."}));
    if (chance(0.5)) s.insert(s.end(), lines.begin(), lines.end());  // the song, verbatim
    return s;
  }

  // ---- a word game: "snap" when a word is of a kind already said in the game
  // ("Tom said cat. Mia said red. Tom said dog, snap!"). Ordinary text gives a
  // causal model little reason to look from a word back to earlier words of its
  // category: what follows "dog" rarely depends on an earlier "cat". Here the
  // token right after the word does, so a head that sends a word to earlier
  // words of its kind predicts the snap. Which runs grow one, and whether it also
  // works outside the game: web/models/README.md, "A word game to grow one".
  std::vector<std::string> word_game() {
    static const std::vector<const std::vector<std::string>*> kinds = {
        &kColours, &kNumbers, &kAnimals, &kFoods, &kToys, &kClothes, &kNatureWords, &kFeelings};
    std::vector<const std::vector<std::string>*> in_play;  // 2 to 4 kinds, all different
    const int n_kinds = 2 + below(3);
    while (int(in_play.size()) < n_kinds) {
      const auto* k = kinds[size_t(below(kinds.size()))];
      if (std::find(in_play.begin(), in_play.end(), k) == in_play.end()) in_play.push_back(k);
    }
    std::vector<std::string> s;
    hero_named_ = true;
    s.push_back(cat({hero_.name, " and ", friend_.name, " played snap with words."}));
    std::vector<std::string> said;  // every word once, so a snap is never a repeat
    std::vector<const std::vector<std::string>*> kinds_said;
    const int turns = 5 + below(4);
    for (int t = 0; t < turns; ++t) {
      const auto* kind = in_play[size_t(below(in_play.size()))];
      std::string word;
      do word = pick(*kind);
      while (std::find(said.begin(), said.end(), word) != said.end());
      said.push_back(word);
      const bool snap = std::find(kinds_said.begin(), kinds_said.end(), kind) != kinds_said.end();
      kinds_said.push_back(kind);
      const std::string& player = t % 2 == 0 ? hero_.name : friend_.name;
      s.push_back(cat({t > 0 && chance(0.3) ? "then " : "", player, " said ", word,
                       snap ? ", snap!" : "."}));
    }
    s.push_back(cat({one_of({"they laughed.", "it was a fun game.", "they played again."})}));
    return s;
  }

  // ---- verbatim repeats, for induction heads
  // A sentence said again later, before the last one (which ends the story).
  void add_repeated_sentence(std::vector<std::string>& s) {
    if (s.size() < 4) return;
    const size_t from = 1 + size_t(below(s.size() - 3));              // 1 .. size-3
    const size_t to = from + 2 + size_t(below(s.size() - from - 2));  // from+2 .. size-1
    s.insert(s.begin() + long(to), s[from]);
  }

  // A random word sequence the grammar cannot predict, said twice or three times.
  void add_magic_words(std::vector<std::string>& s) {
    static const std::vector<const std::vector<std::string>*> pools = {
        &kAnimals, &kFoods, &kToys, &kClothes, &kNatureWords, &kColours, &kNumbers, &kFeelings,
        &kPlaces};
    std::vector<std::string> words;
    const int n = 3 + below(4);
    for (int i = 0; i < n; ++i) words.push_back(pick(*pools[size_t(below(pools.size()))]));
    const std::string sequence = join(words, " ");
    const int kind = below(4);
    static const char* const name[] = {"magic words", "secret password", "funny song", "secret code"};
    static const char* const learned[] = {"learned some magic words", "made up a secret password",
                                          "made up a funny song", "found a secret code"};
    // Both before the last sentence, which ends the document.
    if (s.size() < 3) return;
    const size_t at = 1 + size_t(below(s.size() - 2));
    s.insert(s.begin() + long(at), cat({hero_.name, " ", learned[kind], ": ", sequence, "."}));
    const size_t again = std::min(s.size() - 1, at + 2 + size_t(below(3)));
    const std::string said = kind == 2 ? " sang the " : " said the ";
    s.insert(s.begin() + long(again), cat({"later, ", hero(), said, name[kind], " again: ", sequence, "."}));
    if (chance(0.3))
      s.insert(s.end() - 1, cat({hero_.name, " said it one more time: ", sequence, "."}));
  }

  Rng& rng_;
  CorpusOptions options_;
  Character hero_, friend_;
  bool hero_named_ = false;
  Category topic_ = kAnimal;
  std::vector<Noun> cast_;
  std::string place_;
  std::map<std::string, Description> described_;
};

// Independent random streams for the two splits of one seed.
uint64_t stream_seed(uint64_t seed, uint64_t stream) {
  uint64_t state = seed ^ (0x5851f42d4c957f2dULL * (stream + 1));
  return splitmix64(state);
}

std::string documents(uint64_t seed, size_t bytes, const CorpusOptions& options) {
  Rng rng(seed);
  std::string text;
  while (text.size() < bytes) {
    DocumentWriter writer(rng, options);
    if (!text.empty()) text += "\n\n";
    text += writer.document();
  }
  return text;
}

}  // namespace

CorpusSplit generate_corpus(uint64_t seed, size_t train_bytes, size_t validation_bytes,
                            const CorpusOptions& options) {
  return {documents(stream_seed(seed, 0), train_bytes, options),
          documents(stream_seed(seed, 1), validation_bytes, options)};
}

std::string generate_document(uint64_t seed, const CorpusOptions& options) {
  Rng rng(seed);
  return DocumentWriter(rng, options).document();
}

const std::vector<std::pair<std::string, std::vector<std::string>>>& corpus_categories() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> categories = [] {
    std::vector<std::string> names = kGirls, people = kFamily;
    names.insert(names.end(), kBoys.begin(), kBoys.end());
    people.insert(people.end(), kRoles.begin(), kRoles.end());
    return std::vector<std::pair<std::string, std::vector<std::string>>>{
        {"colour", kColours},   {"number", kNumbers},   {"animal", kAnimals},
        {"food", kFoods},       {"toy", kToys},         {"clothing", kClothes},
        {"household", kThings}, {"nature", kNatureWords},    {"place", kPlaces},
        {"person", people},     {"name", names},        {"feeling", kFeelings}};
  }();
  return categories;
}

const std::vector<ExamplePrompt>& example_prompts() {
  static const std::vector<ExamplePrompt> prompts = {
      {"continuation", "Once upon a"},
      {"continuation", "The cat sat on the"},
      {"continuation", "Lily loved colours. When she mixed red and yellow, she got"},
      {"continuation", "They counted the ducks: one, two, three, four,"},
      {"syntax", "The shy little fox found a shiny red kite under the old wooden bench."},
      {"syntax", "Ruby gave the warm woolly scarf to her grandpa at the market."},
      {"semantic", "Hugo saw a goat, a hen and a sheep on the farm."},
      {"semantic", "Zoe ate a plum, a peach and a lemon cupcake."},
      {"induction", "Ella made up a secret code: owl pebble nine drum meadow. Later, she said the "
                    "secret code again: owl pebble nine drum meadow."},
      {"induction", "purple frog seven pizza castle kite. purple frog seven pizza castle kite."},
      {"story", "Once upon a time, there was a brave turtle named Leo. Leo swam in the lake "
                "with his friend Nina. They found a strange shell by the river."},
  };
  return prompts;
}

}  // namespace llmsim
