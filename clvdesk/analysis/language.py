"""Which language a ticket is in: English, Danish, or one clvdesk does not read.

Function words (articles, pronouns, negations, auxiliaries) make up a large share of any text and
differ between languages, so counting them tells the languages of short support messages apart
without a model. The lists of the languages clvdesk does not read hold only words that are not
also common English or Danish words, so a hit is evidence against both.
"""

from __future__ import annotations

from clvdesk.analysis.text import Words

MIN_HITS = 2  # a language other than English needs this many of its words ("Chicago IL" is English)
MIN_WORDS = 2  # a text of fewer words with one Danish word and no other language's is too short to tell
NON_LATIN_SHARE = 0.5  # texts whose letters are mostly outside the Latin alphabet are not read

FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the a an and or but i i'm i've i'd i'll me my mine you your you're we our us they their them it it's its "
        "this that these those is are was were be been being am have has had having do does did doing don't "
        "doesn't didn't can't cannot couldn't won't wouldn't isn't aren't wasn't weren't haven't hasn't hadn't "
        "not no never yet still again already just very too so of to in on at for with from by about into "
        "after before since until than then there here what which who whom whose why how when where any some "
        "all would could should will can may might must please thanks thank hi hello dear yes ok okay".split()
    ),
    "da": frozenset(
        "og jeg mig min mit mine du dig din dit dine vi os vores de dem deres han hun ham hende det den der "
        "som er var har havde blev bliver være været ikke ingen intet aldrig endnu stadig allerede også "
        "af på til fra med om efter hvad hvem hvor hvorfor hvordan hvornår hvis skal skulle kan kunne vil "
        "ville må jer jeres sådan nu meget mere noget nogen nogle hej tak venligst fordi men eller i en et at så "
        "når for samme gange igen kun lige jo vel bare ved hos siden uden mellem altså dog".split()
    ),
    "de": frozenset(
        "ich nicht und das ist mein meine meinen meiner ein eine einen auf zu es sie wir habe haben "
        "noch nach bei von wurde keine kein bitte danke auch für sehr schon wie warum immer bestellung".split()
    ),
    "nl": frozenset(
        "ik niet het een mijn heb hebben nog geen maar ook zijn naar bij waarom graag jullie wij deze dit "
        "wordt werd alstublieft bedankt uw bestelling nooit".split()
    ),
    "sv": frozenset(
        "och är inte jag att för av ett vad hur från också någon något mycket varför bara mitt "
        "inga aldrig beställning tack".split()
    ),
    "no": frozenset("av meg deg hva ble noe etter enn mye nå ikkje kva berre bestilling fikk aldri".split()),
    "fr": frozenset(
        "je ne pas le la les et est mon ma mes une des du que qui pour avec vous nous il elle ce cette suis "
        "ai mais toujours reçu commande merci bonjour pourquoi jamais".split()
    ),
    "es": frozenset(
        "el los las y mi mis una que por para con pero muy gracias hola todavía porque ya lo su se estoy "
        "está hasta sin cuando pedido nunca".split()
    ),
    "it": frozenset(
        "il gli è mio mia che di non ma sono ho ancora perché grazie ciao del della questo questa anche "
        "sempre molto ordine mai".split()
    ),
    "pt": frozenset(
        "os é meu minha uma não nao para com mas está estou ainda obrigado obrigada foi mais muito você "
        "em pedido nunca".split()
    ),
}
# One-line Danish reviews and tickets ("fed service og hurtigt levering", "elendig kundeservice")
# hold too few function words to tell, so the words such texts are made of count as Danish too:
# written for this list, none of them an English word.
DANISH_CONTENT_WORDS = frozenset(
    "hurtig hurtigt hurtige levering leveringen leveret leverede leveringstid fed fedt flot flotte flink flinke "
    "god godt gode bedste dårlig dårligt dårlige elendig elendigt ringe skidt pæn pænt sød søde venlig venlige "
    "kvalitet kvaliteten kundeservice kundeservicen betjening personale personalet servicen oplevelse "
    "anbefale anbefales anbefaler anbefalet tilfreds tilfredse utilfreds glade skuffet skuffende "
    "pakke pakken pakker pakket varen varer varerne vare ordre ordren bestilling bestillingen bestilt bestilte "
    "modtaget modtog sendt afsendt pris prisen priser billig billigt billige dyr dyrt dyre penge pengene "
    "handel handle handlet butik butikken firma firmaet virksomhed tid tiden dag dage uge uger måned "
    "altid hurtigere nemt nem problemfri problemfrit perfekt perfekte fantastisk fantastiske "
    "forkert forkerte ødelagt stykker mangler svar kontakt hjemmeside siden tusind mange fint fin "
    "rigtig rigtigt virkelig helt meget mere mest lidt sgu bestemt tak lang langsom langsomt stjerne stjerner".split()
)
_RANK = {language: rank for rank, language in enumerate(FUNCTION_WORDS)}  # on a tie the earlier wins
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {
    word: tuple(language for language in FUNCTION_WORDS if word in FUNCTION_WORDS[language])
    for words in FUNCTION_WORDS.values()
    for word in words
}
for _word in DANISH_CONTENT_WORDS - set(_LANGUAGES_OF):
    _LANGUAGES_OF[_word] = ("da",)
# Words that count for another language but not for English. In ASCII text without one, every hit
# of another language is English's too, and English wins ties: most tickets are told at one look.
_NOT_ENGLISH = frozenset(word for word, languages in _LANGUAGES_OF.items() if "en" not in languages)
DANISH_LETTERS = frozenset("æøå")
LATIN_END = 0x250  # Basic Latin through Latin Extended-B


def detect_language(words: Words, told: str | None = None) -> str:
    """An ISO 639-1 code for the language most of the function words belong to.

    Text with too few words to tell ("Top up keeps failing") is taken to be in `told`, the language
    the helpdesk has for the ticket or its requester, else in English, the desk's usual language;
    text mostly outside the Latin alphabet is "und" (undetermined).
    """
    if words.text.isascii() and _NOT_ENGLISH.isdisjoint(words.tokens):
        return "en" if told is None or _english_hits(words) >= MIN_HITS else told
    hits: dict[str, int] = {}
    for languages in filter(None, map(_LANGUAGES_OF.get, words.tokens)):
        for language in languages:
            hits[language] = hits.get(language, 0) + 1
    if not words.text.isascii():
        letters = [char for char in words.text if char.isalpha()]
        if sum(ord(char) >= LATIN_END for char in letters) > NON_LATIN_SHARE * len(letters):
            return "und"
        if not DANISH_LETTERS.isdisjoint(letters):
            hits["da"] = hits.get("da", 0) + 1
    best = min(hits, key=lambda language: (-hits[language], _RANK[language]), default="en")
    if hits.get(best, 0) >= MIN_HITS:
        return best
    if told is not None and hits.get("en", 0) < MIN_HITS:
        return told
    # A one-line review with one Danish word and not one of any other language's ("super god
    # service", "5 stjerner herfra") is Danish: the English reading of it finds nothing to read.
    # A single word ("Pakke") is too short to tell.
    return "da" if set(hits) == {"da"} and len(words.tokens) >= MIN_WORDS else "en"


def _english_hits(words: Words) -> int:
    english = FUNCTION_WORDS["en"]
    return sum(token in english for token in words.tokens)
