"""English phrases that show a signal or a complaint category, as regular-expression alternatives.

Each alternative is matched on the cleaned, lower-case text at word boundaries; what it matches is
the evidence the note shows. Written for shop and service tickets; a phrase that is negated just
before it ("not broken", "don't need a refund") does not count.
"""

from __future__ import annotations

_DET = r"(?:my|the|this|our|an|a|all(?: of)? my|your)"
_GOODS = r"(?:order|parcel|package|delivery|item|items|product|shipment|purchase|goods|box)"
_NUMBER = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|a few|several|many|over \d+)"
_NOT = (
    r"(?:not|no|never|nothing|nobody|none|cannot|can't|don't|won't|didn't|doesn't|isn't|aren't|wasn't|weren't"
    r"|haven't|hasn't|hadn't|couldn't|wouldn't|shouldn't|ain't)"
)

SIGNALS: dict[str, list[str]] = {
    "churn_intent": [
        rf"(?:cancel+(?:ing|ed)?|close|closing|delete|deleting|terminat(?:e|ing)|deactivate|discontinue|end|stop"
        rf"|shut(?:ting)? down|remove|disable|inactivate|invalidate|quit|get rid of|close (?:out|down)) {_DET}"
        r" (?:(?:current|whole|entire) )?(?:account|accounts|subscription|membership|plan|contract|services)",
        r"(?:account|subscription|membership)s? (?:to )?be (?:terminated|deleted|closed|cancell?ed|deactivated)",
        r"no longer (?:want|wish|need|like)(?: to (?:be|keep|use|have))?(?: (?:a|this|my|your|the))? (?:account"
        r"|customer|service)",
        r"(?:don't|do not) want (?:this|my|the) account",
        r"never (?:order|buy|shop|purchas|use|fly|flying|book|come back|go back|going back|do business|deal"
        r"|return|recommend)\w*(?: \w+){0,4} again",
        r"(?:will not|won't|not) be (?:order|buy|shop|us|com|go|fly|return|renew|book)\w*(?: \w+){0,3}"
        r" (?:again|anymore|any more|back)",
        r"(?:not|n't)(?: \w+){0,3} ever (?:order|buy|shop|us|fly|book|com|go|do business)\w*(?: \w+){0,4}"
        r" (?:again|with you)",
        r"(?:tak(?:e|ing)|spend(?:ing)?) my (?:business|money|custom) (?:elsewhere|somewhere else)",
        r"(?:switch|switching|moving|move|going|go|changing|change) (?:over )?to (?:a )?(?:competitor|another"
        r" (?:company|provider|bank|shop|store|airline|carrier|network|brand))",
        r"last time (?:i|we)(?:'ll| will)? (?:order|buy|shop|use|fly|book)\w*",
        r"(?:i'm|i am|we're|we are) done with (?:you|this|your)",
        r"(?:get|getting) out of this company",
        r"(?:lost|losing) (?:a|another|my|our) (?:loyal )?(?:customer|business)",
        r"make my account go away",
        r"(?:never|won't|will not|not going to) see (?:me|us)(?: \w+){0,4} again",
        r"finish(?:ing)? up with (?:this|my) account",
    ],
    "anger": [
        r"ridiculous\w*",
        r"unacceptabl\w+",
        r"outrage\w*",
        r"disgust\w*",
        r"furious",
        r"angry",
        r"livid",
        r"worst",
        r"scam\w*",
        r"pathetic",
        r"useless",
        r"incompetent\w*",
        r"(?:a|what a|such a|an absolute|a complete|a total) joke",
        r"joke that",
        r"wtf",
        r"fed up",
        r"sick (?:and tired )?of",
        r"shameful",
        r"shocking",
        r"disgrace\w*",
        r"appalling",
        r"atrocious",
        r"horrendous",
        r"rubbish",
        r"crap\w*",
        r"shit\w*",
        r"fuck\w*",
        r"bullshit",
        r"damn\w*",
        r"idiot\w*",
        r"morons?",
        r"stupid",
        r"hate (?:you|this|your|it)",
        r"thieves",
        r"robbery",
    ],
    "urgency": [
        r"urgent\w*",
        r"asap",
        r"a\.s\.a\.p",
        r"immediately",
        r"right (?:now|away)",
        r"emergency",
        r"as soon as possible",
        r"(?:by|before|until) (?:today|tonight|tomorrow|the end of (?:the )?day|end of (?:the )?day|monday|tuesday"
        r"|wednesday|thursday|friday|saturday|sunday|the weekend)",
        r"(?:need|needs|needed|must|have to|has to) (?:it|this|them|(?:\w+ ){0,3}(?:by|for)) (?:today|tonight"
        r"|tomorrow|now)",
        r"time[- ]sensitive",
        r"can't wait any longer",
        r"(?:send|ship|deliver|fix|resolve|sort) (?:\w+ ){0,4}today",
    ],
    "legal_threat": [
        r"lawyers?",
        r"attorneys?",
        r"solicitors?",
        r"legal (?:action|advice|proceedings|team|steps)",
        r"su(?:e|ing) (?:you|your|them)",
        r"(?:a )?lawsuit",
        r"small claims",
        r"(?:take|taking) (?:you|this|it) to court",
        r"trading standards",
        r"consumer (?:protection|rights|ombudsman|council|agency|authority)",
        r"ombudsman",
        r"charge ?backs?",
        r"disput(?:e|es|ed|ing) (?:the|this|that|a|your) (?:charge|payment|transaction)s?",
        r"(?:contact|call|calling|contacting|go to) my (?:bank|credit card company|card issuer)",
        r"report (?:you|this|it|your company) to",
        r"better business bureau",
        r"bbb",
        r"ftc",
    ],
    "hardship": [
        r"(?:lost|losing|lose) my (?:job|income|work)",
        r"(?:been |got |was |being )?(?:made redundant|laid off|furloughed)",
        r"(?:i'm |i am |currently |now )unemployed",
        r"(?:financial|money) (?:difficult(?:y|ies)|hardship|problems|trouble|worries|situation)",
        r"financial(?:ly)? (?:struggl\w*|strain\w*)",
        r"money(?:'s| is) (?:really |very |a bit )?(?:tight|short)",
        r"(?:short|tight) (?:on|of) (?:money|cash)",
        r"struggling (?:financially|to pay|with (?:money|bills|debt|payments))",
        r"(?:can't|cannot|can not|couldn't|could not|unable to) afford",
        r"(?:on|receiving) (?:benefits|universal credit)",
        r"(?:behind|fallen behind) (?:on|with) (?:my |the )?(?:payments|bills|rent|instal?ments)",
        r"(?:serious(?:ly)? ill|in hospital|long[- ]term sick)",
    ],
    "repeat_contact": [
        r"(?:second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th|umpteenth|nth) time (?:i|we|that|i've|i have|i'm"
        r"|i am)\b(?: \w+){0,2}",
        r"(?:i|we)(?: have|'ve)? (?:already )?(?:written|wrote|emailed|called|rang|contacted|messaged|asked|chased"
        r"|complained|reported|told you|reached out)(?: \w+){0,4} (?:several|multiple|many|numerous|three|four"
        r"|five|\d+|a few|countless|so many) times",
        r"again and again",
        r"(?:once|yet) again",
        r"how many (?:more )?times",
        r"keep (?:calling|writing|emailing|asking|chasing|getting|contacting)",
        r"(?:several|multiple|many|numerous|countless|repeated) (?:times|emails|calls|messages|attempts|requests"
        r"|complaints)",
        r"(?:my|the|a) (?:previous|earlier|last|other) (?:ticket|email|message|case|complaint|request|call)",
        r"not the first time",
        r"(?:still )?no (?:reply|response|answer) (?:to|from) (?:my|any of my)",
        r"follow(?:ing)?[- ]up on",
    ],
}

CATEGORIES: dict[str, list[str]] = {
    "payment_difficulty": [
        r"(?:can't|cannot|can not|unable to|not able to|couldn't|could not|won't be able to) (?:pay|afford"
        r"|make (?:the|my|this|a|next) payment)",
        r"(?:lost|losing) my (?:job|income)",
        r"payment (?:plan|arrangement|holiday|break|deferral|extension)s?",
        r"(?:pay|paying) (?:it |this |the rest )?(?:later|in instal?ments|in parts|monthly instead)",
        r"(?:more time|an extension|extra time) to pay",
        r"extension (?:on|for) (?:my |the |this )?(?:payment|bill|invoice|balance)s?",
        r"(?:can|could|may) (?:i|we) pay (?:it |this |the (?:bill|invoice|rest) )?(?:next (?:week|month)"
        r"|on (?:my )?(?:next )?payday)",
        r"(?:defer|postpone|delay) (?:my |the |this )?(?:payment|bill|invoice|instal?ment)s?",
        r"(?:behind|late|fallen behind) (?:on|with) (?:my |the )?(?:payments?|bills?|rent|invoices?|instal?ments?)",
        r"(?:financial|money) (?:difficult(?:y|ies)|hardship|problems|trouble)",
        r"struggling (?:financially|to pay)",
        r"debt collect\w*",
        r"(?:collection|collections) agency",
        r"(?:final|payment) (?:reminder|demand)s?",
        r"(?:late|reminder) (?:payment )?fees?",
        r"(?:overdue|unpaid|outstanding) (?:invoice|bill|payment|balance|amount)s?",
    ],
    "damaged_item": [
        r"broken",
        r"damaged?",
        r"smashed",
        r"cracked",
        r"shattered",
        r"dented",
        r"torn",
        r"ripped",
        r"leak(?:ing|ed|s)?",
        r"crushed",
        r"scratched",
        r"in pieces",
        r"bent",
        r"stained",
        r"spill(?:ed|t)",
    ],
    "wrong_item": [
        r"wrong (?:item|size|colou?r|product|order|parcel|package|model|one|thing|address|food|book|part|version"
        r"|flavou?r|meal|drink)s?",
        r"not what (?:i|we) (?:ordered|paid for|asked for|bought)",
        r"(?:sent|received|got|delivered|gave) (?:me |us )?(?:the )?wrong",
        r"instead of (?:the )?(?:one|what) (?:i|we) (?:ordered|paid for)",
        r"someone else's (?:order|parcel|package)",
        r"mix(?:ed)?[- ]up (?:with )?(?:my|the|our) order",
    ],
    "missing_item": [
        r"never (?:arrived|came|received|got|showed up|turned up|delivered)",
        rf"(?:didn't|did not|haven't|have not|never) (?:receive|received|get|got)(?: \w+){{0,2}} {_GOODS}",
        r"missing",
        rf"lost (?:in the post|in transit|in the mail|{_DET} {_GOODS})",
        rf"{_GOODS} (?:was |has been |got |is )?lost",
        r"not in the (?:box|package|bag|parcel)",
        r"(?:box|package|parcel|bag) (?:was |is )?empty",
        r"(?:left|forgot) out",
        r"(?:marked|says|shows|showing) (?:as )?(?:it was |it's |it has been )?delivered but",
        r"stolen",
        r"(?:disappear|vanish)\w*",
        r"only (?:received|got) (?:one|two|part|half|some)",
        r"no (?:meat|filling|sauce|chips|fries|drink)",
    ],
    "late_delivery": [
        r"still (?:waiting(?! (?:to hear|for (?:a |an |your |any )?(?:reply|response|answer|call|email|callback)))"
        r"|not (?:arrived|delivered|here|received|shipped|dispatched|come)|hasn't|haven't|has not|have not)",
        r"(?:hasn't|has not|haven't|have not|not yet|yet to|is yet to|are yet to) (?:arrived?|been delivered"
        r"|been shipped|been dispatched|shipped|dispatched|come|turned up|been sent)",
        rf"{_GOODS}s? (?:is |are |was |were )?(?:late|delayed|overdue|running late)",
        rf"late {_GOODS}",
        r"delay(?:ed|s)?",
        rf"where(?:'s| is) (?:my|our|the) {_GOODS}",
        rf"(?:waiting|waited) (?:for )?(?:over |more than )?{_NUMBER} (?:days|weeks|months)",
        rf"{_NUMBER} (?:days|weeks) late",
        r"tracking (?:hasn't|has not|not|doesn't|does not|still) (?:updated|moved|changed|show|work)",
        r"still (?:says|shows) (?:processing|in transit|pending|dispatched)",
        r"(?:missed|cancell?ed) (?:my )?(?:delivery|flight|train|connection|appointment)",
        r"(?:train|flight|bus|driver|engineer|technician) (?:is |was )?(?:late|delayed|cancell?ed|a no[- ]show)",
        r"(?:is|are|was|were|running|arrived|came|still|so|very|always|too|hrs|hours|mins|minutes|days) late",
    ],
    "billing": [
        r"over[- ]?charged",
        r"charged (?:me |us )?(?:twice|double|two times|extra|more|too much|again|for something|for an?)",
        r"double[- ]charged",
        r"(?:extra|hidden|unexpected|unauthori[sz]ed|unknown|duplicate|wrong|incorrect|random) (?:charges?|fees?"
        r"|payments?|transactions?|amount|price|bill|invoice)",
        r"(?:bill|invoice|statement|price) (?:is |was )?(?:wrong|incorrect|too high)",
        r"(?:paid|charged|billed|debited|taken) (?:\w+ ){0,3}(?:twice|two times)",
        r"(?:charge|charging|bill|billing|debit) (?:me|us|my \w+) (?:twice|two times|double)",
        r"(?:paid|charged|billed|debited|charge|bill) (?:\w+ ){0,3}(?:2|3|three) times",
        r"billing",
        r"still (?:being )?(?:charged|billed)",
        r"price (?:increase|hike|rise)",
        r"(?:charged|billed) (?:me )?(?:after|even though|despite)",
        r"(?:took|taken|take) (?:my )?money",
    ],
    "product_quality": [
        r"(?:doesn't|does not|don't|do not|won't|will not|isn't|is not|not|stopped|stops|stop|never|didn't|did not"
        r"|can't|cannot) (?:work|working|works|function\w*|turn(?:s|ing)? on|charg(?:e|es|ing)|load\w*"
        r"|connect\w*|start\w*|open\w*|sync\w*|print\w*|boot\w*)",
        r"(?:poor|bad|low|cheap|terrible|awful|shoddy) (?:quality|product|material|build|workmanship)",
        r"faulty",
        r"defect\w*",
        r"malfunction\w*",
        r"(?:keeps|kept) \w+ing",
        r"(?:keeps|keep|kept) (?:crashing|freezing|breaking|disconnecting|failing|dropping|shutting|turning off"
        r"|restarting|rebooting|cutting out|buffering)",
        r"crash\w*",
        r"freez(?:es|ing)",
        r"bugs?",
        r"buggy",
        r"glitch\w*",
        r"errors?",
        r"(?:issues?|problems?|trouble) with",
        r"fell apart",
        r"falling apart",
        r"peeling",
        r"(?:cold|stale|raw|undercooked|burnt|mouldy|moldy|expired|rotten|soggy|pink) (?:food|chicken|burger"
        r"|pie|fries|meal|coffee|pizza|bread|meat|sandwich)",
        r"tast(?:es?|ed) (?:awful|bad|terrible|disgusting|off|horrible)",
        r"stuck",
        r"outage",
        r"(?:gone|went|going|goes|keeps going|cut|cutting) (?:off|down|out)",
        r"unreliable",
        r"sub-?par",
        r"worse",
        r"slow",
        r"inaccurate",
        r"drain(?:s|ing|ed)?",
        r"(?:is|are|was|been|went|still|all) down",
        r"no (?:internet|service|signal|power|connection|tv|wifi|wi-fi|network|hot water|heating)",
        r"slow (?:internet|speed|speeds|connection|wifi|service)",
        r"not (?:fit for purpose|as described|as advertised)",
    ],
    "account_access": [
        r"(?:can't|cannot|can not|unable to|won't let me|not able to|couldn't|could not) (?:log ?in|sign ?in"
        r"|login|access|get into|reset|verify|activate)",
        r"locked out",
        r"(?:account|card|profile) (?:is |was |has been |got )?(?:locked|blocked|suspended|frozen|disabled"
        r"|hacked|compromised|deactivated)",
        r"password (?:reset|doesn't work|not working|isn't working)",
        r"forgot(?:ten)? (?:my )?password",
        r"verification (?:code|email|text)",
        r"two[- ]factor",
        r"2fa",
        r"hacked",
        r"(?:pin|passcode) (?:is )?blocked",
        r"log ?in (?:issue|problem|error)s?",
    ],
    "service_experience": [
        r"(?:no|not any|not a single|haven't (?:had|got|received)(?: a| any)?|never (?:got|received)(?: a| any)?"
        r"|without (?:a|any)) (?:reply|replies|response|responses|answer|call ?back|feedback|update|word)",
        r"(?:rude|unhelpful|useless|unprofessional|incompetent|ignorant|lazy|arrogant) (?:staff|agent|employee"
        r"|driver|manager|customer service|support|person|service|rep|people|man|woman|lady|guy|cashier|waiter)",
        r"customer (?:service|care|support) (?:is |was |has been )?(?:terrible|awful|poor|bad|horrible|shocking"
        r"|useless|non-existent|rubbish|appalling|the worst|a joke|nonexistent)",
        r"(?:terrible|awful|poor|bad|horrible|shocking|worst|appalling|abysmal|pathetic|disgraceful|lousy"
        r"|dreadful) (?:customer )?(?:service|support|experience|communication)",
        r"(?:on hold|on the phone|in (?:the )?queue|in line|waiting) (?:for )?(?:over |more than )?(?:\d+|an|two"
        r"|three|half an) (?:minutes|mins|hours|hrs|hour)",
        r"(?:nobody|no one|noone|no-one) (?:has |have |will |seems to |ever )?(?:got|gets|replied|responded"
        r"|answered|answers|called|helped|came|bothered|picks up|cares|turned up|showed up)",
        r"ignor(?:ed|ing)",
        r"discriminat\w*",
        r"hung up",
        r"(?:hasn't|haven't|has not|have not|didn't|did not|never) (?:got(?:ten)?|gotten|heard|called|come) back",
        r"still waiting (?:to hear|for (?:a |an |your |any )?(?:reply|response|answer|call|email|callback))",
        r"not getting any (?:response|reply|answer|help)",
        r"(?:passed|transferred|bounced) (?:around|from one)",
        r"(?:long|\d+[- ]?(?:minute|min|hour|hr)) (?:wait|hold|queue)",
        r"(?:get|getting) (?:in )?(?:contact|hold of|through to) (?:someone|anyone|a human|a person)",
    ],
    "refund_request": [
        r"refund\w*",
        r"money back",
        r"reimburs\w*",
        r"compensat\w*",
        r"return (?:it|this|them|the item|my order|the order)",
        r"(?:want|like|need|request|demand|asking for|ask for|expect)(?: \w+){0,2} (?:a )?(?:replacement|exchange"
        r"|return label)",
        r"cancel (?:my|the|this|an) order",
        r"send (?:me |us )?(?:a )?(?:new one|replacement)",
    ],
    # Complaints of no listed kind: the grammar of a breached expectation (Olshtain & Weinbach 1987,
    # as analysed on tweets by Preotiuc-Pietro et al. 2019): "why", "still", "supposed to", time lost.
    "other": [
        r"why",
        r"what(?:'s| is) (?:going on|happening|up with|wrong)",
        r"what the (?:heck|hell|fuck)",
        r"what gives",
        r"how come",
        r"how (?:does|did|could|can) (?:this|that) (?:happen|be)",
        r"what(?:'s| is) (?:this|that)",
        r"(?:not|isn't|how's that|how is that|how is this) fair",
        r"what (?:do|should|can) (?:i|we) do",
        r"(?:supposed|meant|expected|promised) to",
        r"should (?:have|'ve|be)",
        r"(?:was|were) told",
        r"(?:i|we) paid for",
        r"still",
        r"no longer",
        r"(?:any ?more|any longer)",
        r"(?:can't|cannot|can not|couldn't|unable to|not able to|won't|wouldn't|isn't|aren't|doesn't|don't|didn't"
        r"|haven't|hasn't|wasn't|weren't|not) (?:let|letting|allow|allowing|able|find|send|get|see|use|access|work"
        r"|load|open|download|install|update|pay|book|order|reach|contact|seem|show|appear|accept|recogni[sz]e)\w*",
        r"(?:got|get|getting|received|receive) nothing",
        r"(?:i|we)(?: have|'ve)? (?:tried|been trying)",
        r"unable to",
        rf"{_NOT}(?! (?:problem|problems|worries|doubt|complaints?|reason|be (?:more|happier|better)|undue"
        r"|(?:too |that |so |half )?bad)\b)",  # "not bad" is praise
        r"(?:reply|respond|answer) (?:to )?(?:my|me|our|us)",
        r"again",
        r"(?:wait|waiting|waited)",
        r"nothing (?:works|worked|happened|has happened|arrived)",
        r"where(?:'s| is| are) (?:my|our|the)",
        r"when (?:should|will|can|do) (?:i|we) (?:expect|get|receive|hear)",
        r"(?:await|awaiting|waiting for) (?:your|ur|a|the) (?:response|reply|answer)",
        rf"{_NUMBER} (?:hours|hrs|days|weeks|months|mins|minutes)",
        r"(?:for|all) (?:hours|days|weeks|ages|day|night|week)",
        r"every (?:time|single time)",
        r"(?:issues?|problems?)",
        r"disappoint\w*",
        r"(?:not|never) (?:happy|impressed|satisfied|pleased)",
        r"unhappy",
        r"frustrat\w*",
        r"annoy\w*",
        r"fail\w*",
        r"(?:i|we) wish (?:i|we) (?:had|hadn't|had not|never|didn't|did not)",
        r"(?:i|we) regret (?:buying|ordering|booking|choosing|using)",
    ],
}

# What the customer says to praise or reassure: it outweighs the negation inside it ("couldn't be
# more satisfied", "no complaints") and a problem named and then put right ("they fixed it fast").
PRAISE: dict[str, list[str]] = {
    "praise": [
        r"(?:couldn't|could not|can't|cannot) (?:be|have been) (?:more|happier|better)",
        r"(?:couldn't|could not|can't|cannot) (?:ask for|wish for) (?:more|better|anything)",
        r"no (?:complaints?|reason to (?:complain|doubt|think|believe|worry))",
        r"nothing (?:at all )?to complain about",
        r"not (?:a|one) (?:single )?(?:thing|complaint|problem) to",
        r"(?:can't|cannot) complain",
        r"(?:fixed|solved|resolved|sorted|repaired|replaced) (?:it|the (?:problem|issue|fault)|everything)"
        r"(?: \w+){0,2} (?:fast|quickly|promptly|right away|immediately|professionally|in no time)",
        r"(?:quickly|promptly|fast) (?:fixed|solved|resolved|sorted)",
        r"(?:can't|cannot|couldn't|could not) (?:recommend|thank|praise) (?:\w+ ){0,3}enough",
    ],
}
