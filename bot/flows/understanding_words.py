# house: long because it is data (the understanding step's word lists), not logic
# ruff: noqa: E501  (the cue lists are data: a phrase per string reads better than wrapped)
"""The words the understanding step (bot/flows/understanding.py) looks for: data, not logic.

Each cue is a regular expression over the cleaned sentence (lower case, no accents, punctuation
as blanks, apostrophes too: "l'iban" -> "l iban"). A cue starting with "~" is weak (it counts
less: "pagato" alone, "link"). Cues are grouped by intent and by the language they are written
in, which is also how the step tells which language a debtor wrote in.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Intent(StrEnum):
    PAY_NOW = "pay_now"
    BANK_DETAILS = "bank_details"
    DISCOUNT = "discount"
    INSTALMENTS = "instalments"
    PROMISE = "promise"
    ALREADY_PAID = "already_paid"
    DISPUTE = "dispute"
    TALK_TO_PERSON = "talk_to_person"
    STOP = "stop"
    WRONG_PERSON = "wrong_person"
    WHO_ARE_YOU = "who_are_you"
    GREETING = "greeting"
    THANKS = "thanks"
    ABUSE = "abuse"
    STATEMENT = "statement"
    CANNOT_PAY = "cannot_pay"
    OTHER = "other"


# Intents whose action records something the debtor must have said: a promise, a payment claim,
# a plan, an opt-out, a wrong address. Two of them in one message: ask, do neither.
RECORDING = frozenset({
    Intent.PROMISE, Intent.ALREADY_PAID, Intent.INSTALMENTS, Intent.STOP, Intent.WRONG_PERSON,
})  # fmt: skip
# Said alongside anything else, these step aside: "buongiorno, vorrei pagare" is a payment.
SOCIAL = frozenset({Intent.GREETING, Intent.THANKS})
# A "non"/"not" just before these cues turns them off: "non posso pagare adesso".
NEGATABLE = frozenset({
    Intent.PAY_NOW, Intent.ALREADY_PAID, Intent.PROMISE, Intent.INSTALMENTS,
    Intent.TALK_TO_PERSON, Intent.DISCOUNT, Intent.BANK_DETAILS,
})  # fmt: skip
# A condition ("se pago subito", "if I pay today") asserts nothing either.
NEGATIONS = frozenset({
    "non", "not", "no", "mai", "never", "cannot", "t", "nessun", "neanche", "se", "if",
})  # fmt: skip

# Emoji that say something; replaced by a neutral token before matching.
EMOJI = {
    "🙏": " emojithanks ", "🤬": " emojiangry ", "😡": " emojiangry ", "🖕": " emojiangry ",
    "👋": " emojiwave ", "👍": " emojiok ", "💳": " emojicard ",
}  # fmt: skip

# Payment verbs in the past tense: a date next to them is when it was paid, never a promise.
# (The same cues make the ALREADY_PAID intent below.)
HEDGES = (
    r"\bforse\b", r"\bmaybe\b", r"\bnot sure\b", r"\bnon so\b", r"\bnon sono sicur",
    r"\bperhaps\b", r"\bmagari\b",
)  # fmt: skip
PARTIAL = (r"\bmeta\b", r"\buna parte\b", r"\bin parte\b", r"\bil resto\b", r"\bhalf\b",
           r"\bpart of\b", r"\bparte\b", r"\bthe rest\b")  # fmt: skip
# Words that promise without a date: the date is asked.
NUMBER_WORDS = {
    "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7, "otto": 8, "nove": 9,
    "dieci": 10, "dodici": 12, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12,
}  # fmt: skip
_N = r"(\d{1,2}|" + "|".join(NUMBER_WORDS) + ")"
COUNT = (
    rf"\b{_N} (?:rate|rata|volte|instal+ments?|payments|rate mensili|monthly instal+ments)\b",
    rf"\b(?:in|a) {_N} (?:tranche|mesi)\b",
)
AMOUNT_PER_MONTH = (
    r"\b(\d{2,6})(?: (?:euro|eur|euros|pounds))? (?:al|a|per|ogni|each|every) (?:mese|month)\b",
)
AMOUNT_PAID = (r"\b(?:pagato|versato|paid|sent) (\d{2,6})\b",)
HALF_NOW = (r"\bmeta (?:adesso|ora|subito) e meta\b", r"\bhalf now\b")

IT, EN = "it", "en"
CUES: dict[Intent, dict[str, tuple[str, ...]]] = {
    Intent.PAY_NOW: {
        IT: (
            r"pag\w* (?:subito|ora|adesso|online|con (?:la )?carta|con paypal|con satispay|dal "
            r"telefono|tutto e chiudiamo)",
            r"(?:subito|ora|adesso) pag\w*",
            r"link (?:per |di |che |del )?pag\w*",
            r"~\blink\b",
            r"(?:voglio|vorrei) (?:pagar|saldar)\w*",
            r"saldo (?:adesso|ora|subito)",
            r"proced\w* (?:al|col|con il) pagamento",
            r"come (?:faccio|posso) (?:a )?pagar\w*",
            r"carta (?:di credito|aziendale)",
            r"pagamento (?:con carta|online)",
            r"posso pagar\w* (?:con|online)",
            r"\bpaga ora\b",
            r"~emojicard",
        ),
        EN: (
            r"pay(?:ing)? (?:now|right away|online|by card|with (?:a |my )?card|it now)",
            r"payment link",
            r"(?:want|like|happy) to (?:pay|settle)",
            r"let me pay",
            r"(?:how|where) (?:do|can) i pay",
            r"settle it today",
            r"~\blink\b",
            r"~emojicard",
        ),
    },
    Intent.BANK_DETAILS: {
        IT: (
            r"\biban\b",
            r"\bcoordinate\b",
            r"dati (?:bancari|per il bonifico)",
            r"estremi (?:per il|del) bonifico",
            r"(?:quale|che) conto",
            r"preferisco (?:il )?bonifico",
        ),
        EN: (
            r"bank details",
            r"account details",
            r"what account",
            r"bank transfer",
            r"wire transfer",
            r"sort code",
            r"\biban\b",
        ),
    },
    Intent.DISCOUNT: {
        IT: (r"\bscont\w*", r"prezzo migliore"),
        EN: (r"discount", r"better price"),
    },
    Intent.INSTALMENTS: {
        IT: (
            r"\brate\b",
            r"\brata\b",
            r"rateizz\w*",
            r"rateal\w*",
            r"dilazion\w*",
            r"piano di rientro",
            r"\bal mese\b",
            r"un po alla volta",
            r"\b\w+ volte\b",
            r"meta (?:adesso|ora) e meta",
            r"~\bin \w+ tranche\b",
        ),
        EN: (
            r"instal+ments?",
            r"payment plan",
            r"\bsplit\b",
            r"(?:a|per) month",
            r"bit by bit",
            r"monthly",
            r"\b\w+ payments\b",
            r"\btwo payments\b",
        ),
    },
    Intent.PROMISE: {
        IT: (
            r"\bpaghero\b",
            r"\bpagheremo\b",
            r"\bsaldero\b",
            r"appena (?:possibile|posso|riesco)",
            r"stipendio",
            r"piu avanti",
            r"data (?:di|del) pagamento",
            r"indicare una data",
        ),
        EN: (
            r"as soon as (?:i|we) can",
            r"when (?:i|we) get (?:my |our )?(?:salary|paid)",
            r"\bsalary\b",
            r"bit later",
            r"paying later",
            r"i ll pay",
            r"i will pay",
            r"will pay",
            r"i will transfer",
        ),
    },
    Intent.ALREADY_PAID: {
        IT: (
            r"\b(?:ho|abbiamo|avevo|avevamo|l ho|l abbiamo|l avevamo) (?:gia )?(?:pagat\w*|saldat\w*|"
            r"versat\w*|provveduto|fatto (?:il )?(?:bonifico|pagamento)|effettuato|mandato i soldi)",
            r"\bgia (?:pagat\w*|saldat\w*|fatto (?:il )?bonifico|provveduto)",
            r"pagat[oa] gia",
            r"bonifico (?:e )?(?:fatto|eseguito|effettuato|partito)",
            r"fatto (?:ieri|stamattina|oggi)?(?: sera)? il bonifico",
            r"il bonifico e partito",
            r"(?:e|e stat[oa]|risulta|sono) (?:gia )?(?:stat[oa] )?(?:pagat[aeio]|saldat[aeio])",
            r"pagamento e stato (?:fatto|effettuato)",
            r"\bpagat[aeio]\b",
            r"\bsaldat[aeio]\b",
            r"vi ho mandato i soldi",
            r"bonifico l (?:ho|abbiamo) fatto",
            r"\bcontabile\b",
        ),
        EN: (
            r"(?:already|have|has been|was|we|i|it s been|this has been|it s) (?:already )?paid",
            r"(?<!get )(?<!got )(?<!getting )\bpaid\b",
            r"(?:i|we) (?:sent|made|did) the (?:transfer|payment)",
            r"transfer (?:made|sent|done)",
            r"payment went out",
            r"money has been sent",
            r"(?:we|i) (?:already )?settled",
            r"paid (?:it|this|already)",
        ),
    },
    Intent.DISPUTE: {
        IT: (
            r"\bcontest\w*",
            r"(?:importo|cifra|prezzo|fattura|addebito) (?:e |non e )?(?:sbagliat\w*|"
            r"errat\w*|quello concordato)",
            r"non corrisponde",
            r"non e (?:nostra|mia|nostro|mio)\b",
            r"non (?:riconosco|mi risulta|ci risulta)",
            r"fattura non mi risulta",
            r"merce (?:non e (?:mai )?arrivata|era difettosa|difettosa)",
            r"(?:mai|non (?:e|sono|l abbiamo|abbiamo)(?: mai)?) (?:ricevut\w*|arrivat\w*)",
            r"(?:res[oa]|restituit[oa]) (?:la merce)?",
            r"(?:servizio|lavoro) non (?:e )?stato fatto",
            r"fatturato il doppio",
            r"(?:non|mai) ordinato",
            r"errore nella fattura",
            r"non (?:devo|dobbiamo|vi devo|vi dobbiamo) (?:niente|nulla)",
            r"solo meta della merce",
            r"sbagliato l importo",
            r"sbagliato importo",
            r"importo sbagliato",
        ),
        EN: (
            r"disput\w*",
            r"(?:amount|invoice|bill|charge) is (?:wrong|incorrect)",
            r"wrong amount",
            r"(?:not|isn t|is not) (?:our|my|mine|ours)\b",
            r"never (?:received|arrived|delivered|ordered)",
            r"\breturned\b",
            r"sent it back",
            r"don t recogni[sz]e",
            r"charged (?:us |me )?twice",
            r"don t owe",
            r"goods never arrived",
            r"invoice is wrong",
        ),
    },
    Intent.TALK_TO_PERSON: {
        IT: (
            r"parlare con",
            r"operatore",
            r"\bchiam\w*",
            r"persona (?:vera|reale)",
            r"\bumano\b",
            r"sentire una persona",
            r"qualcuno (?:con cui parlare|dell amministrazione)",
            r"responsabile",
        ),
        EN: (
            r"talk to",
            r"speak (?:to|with)",
            r"call me",
            r"someone call",
            r"\bhuman\b",
            r"\bagent\b",
            r"operator",
            r"real person",
            r"put me through",
        ),
    },
    Intent.STOP: {
        IT: (
            r"\bstop\b",
            r"\bbasta\b",
            r"non (?:scrivetemi|mandatemi|contattatemi|mi scrivete|"
            r"mi contattate)",
            r"non voglio piu (?:ricevere|essere contattat)",
            r"smett\w* (?:di )?(?:scriver|mandar|contattar)",
            r"cancellatemi",
            r"cancellami",
            r"disiscriv\w*",
            r"togliete il mio numero",
            r"annulla iscrizione",
        ),
        EN: (
            r"stop (?:messaging|texting|sending|contacting)",
            r"unsubscribe",
            r"opt out",
            r"remove my number",
            r"don t (?:contact|text|message|write)",
            r"no more messages",
            r"~leave me alone",
        ),
    },
    Intent.WRONG_PERSON: {
        IT: (
            r"numero sbagliato",
            r"sbagliato numero",
            r"(?:avete|ha|hai) sbagliato (?:numero|persona)",
            r"non sono (?:io|la persona)",
            r"non conosco (?:questa|la vostra) (?:ditta|azienda|societa)",
            r"(?:titolare|proprietario) (?:e )?(?:deceduto|morto|scomparso)",
            r"(?:ditta|societa|azienda) (?:e )?(?:fallit[oa]|chius[oa]|ha chiuso)",
            r"non e piu dell?a? ?(?:societa|azienda|ditta)",
        ),
        EN: (
            r"wrong (?:number|person)",
            r"don t know (?:this|your) company",
            r"not my company",
            r"passed away",
            r"\bdied\b",
            r"deceased",
            r"bankrupt",
            r"went (?:bust|under)",
            r"(?:closed|shut) down",
        ),
    },
    Intent.WHO_ARE_YOU: {
        IT: (r"\bchi (?:siete|e|parla|scrive|sei)\b", r"di cosa si tratta", r"una truffa\b"),
        EN: (r"who (?:is this|are you|s this|is it)", r"what is this about", r"is this a scam"),
    },
    Intent.GREETING: {
        IT: (r"~\bbuon ?giorno\b", r"~\bbuona ?sera\b", r"~\bciao\b", r"~\bsalve\b"),
        EN: (
            r"~\bhello\b",
            r"~\bhi\b",
            r"~\bhey\b",
            r"~\bgood (?:morning|afternoon|evening)\b",
            r"~emojiwave",
        ),
    },
    Intent.THANKS: {
        IT: (r"~\bgrazie\b", r"~\bgrz\b", r"~\bringrazio\b", r"~emojithanks"),
        EN: (r"~\bthanks?\b", r"~\bthank you\b", r"~\bthx\b", r"~\bcheers\b"),
    },
    Intent.ABUSE: {
        IT: (
            r"fanculo",
            r"andate (?:a quel paese|a cagare|a fare in culo|al diavolo)",
            r"\bladri\b",
            r"truffatori",
            r"strozzini",
            r"cretin\w*",
            r"deficient\w*",
            r"stronz\w*",
            r"vergognatevi",
            r"che schifo",
            r"rotto (?:le scatole|il cazzo|le palle)",
            r"vi denuncio",
            r"emojiangry",
            r"\bimbecill\w*",
        ),
        EN: (
            r"\bfuck",
            r"piss off",
            r"go to hell",
            r"thieves",
            r"crooks",
            r"scammers",
            r"\bidiots?\b",
            r"harassment",
            r"sue you",
            r"bastards",
        ),
    },
    Intent.STATEMENT: {
        IT: (
            r"quanto (?:devo|vi devo|dobbiamo|vi dobbiamo|manca|c e da pagare)",
            r"qual e il saldo",
            r"estratto conto",
            r"(?:quali|quante) fatture",
            r"importo (?:totale|dovuto)",
            r"di quale fattura",
            r"situazione contabile",
        ),
        EN: (
            r"how much (?:do|does) (?:i|we) owe",
            r"what do (?:i|we) owe",
            r"statement",
            r"which invoices",
            r"\bbalance\b",
        ),
    },
    Intent.CANNOT_PAY: {
        IT: (
            r"non (?:posso|riesco|riusciamo|possiamo)(?: a)? pagar\w*",
            r"non (?:ho|abbiamo) (?:i )?soldi",
            r"(?:ora|adesso|al momento|momento) non (?:posso|riesco)(?: a pagare)?\b",
            r"non (?:ho|abbiamo) disponibilita",
            r"difficolta economic\w*",
            r"\bin crisi\b",
            r"non ce la (?:faccio|facciamo)",
            r"adesso non riesco",
            r"non ho soldi",
        ),
        EN: (r"can t (?:pay|afford)", r"cannot pay", r"\bbroke\b", r"cash ?flow", r"unable to pay"),
    },
}

# Words that tell the language when no cue does (short function words, frequent verbs).
LANGUAGE_HINTS = {
    IT: frozenset({
        "il", "lo", "la", "le", "di", "che", "non", "ho", "per", "un", "una", "mi", "ci", "sono",
        "vorrei", "posso", "pago", "fattura", "ok", "va", "bene", "boh", "si", "ne", "con",
        "mio", "marito", "ferie", "rientro", "ancora", "penso", "vedremo", "visto", "messaggio",
        "commercialista", "gestisce",
    }),
    EN: frozenset({
        "the", "i", "you", "is", "to", "my", "me", "it", "we", "pay", "can", "please", "this",
        "yet", "haven", "on", "holiday", "accountant", "handles", "hmm", "think", "about", "ll",
        "will", "of", "and", "are",
    }),
}  # fmt: skip

# Words a typo is corrected towards (rapidfuzz), when a typed word is none of the known ones.
KNOWN_WORDS = (
    "pagare",
    "pagato",
    "pagata",
    "paghero",
    "pagamento",
    "bonifico",
    "rateizzare",
    "rateizzazione",
    "dilazionare",
    "coordinate",
    "contesto",
    "contestare",
    "contestazione",
    "fattura",
    "sbagliato",
    "operatore",
    "stipendio",
    "settimana",
    "prossima",
    "domani",
    "dopodomani",
    "lunedi",
    "martedi",
    "mercoledi",
    "giovedi",
    "venerdi",
    "sabato",
    "domenica",
    "gennaio",
    "febbraio",
    "dicembre",
    "novembre",
    "grazie",
    "buongiorno",
    "buonasera",
    "disiscrivimi",
    "cancellatemi",
    "messaggi",
    "sconto",
    "saldato",
    "saldare",
    "versato",
    "ricevuto",
    "arrivata",
    "restituito",
    "deceduto",
    "fallita",
    "instalments",
    "installments",
    "tomorrow",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "december",
    "payment",
    "transfer",
    "unsubscribe",
    "already",
    "discount",
    "statement",
    "invoice",
    "number",
    "person",
    "someone",
    "thanks",
    "hello",
    "yesterday",
    "today",
    "settled",
    "balance",
    "estratto",
    "truffatori",
    "ladri",
    "conto",
    "persona",
    "carta",
    "parte",
    "sentire",
    "fatturato",
)

# A day and month written out: "il 28 novembre", "28/11", "november 28th".
SPELLED_DATE = re.compile(
    r"\b\d{1,2}[/.\-]\d{1,2}\b|\b(?:\d{1,2}|primo)(?:st|nd|rd|th)? (?:of |di )?(?:gennaio|"
    r"febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)\b"
)
# Which kind of dispute the words say (option keys of bot/flows/options.py).
DISPUTE_REASONS = {
    "dispute_wrong_amount": r"importo|cifra|prezzo|doppio|amount|twice|preventivo",
    "dispute_goods_or_service": r"merce|servizio|lavoro|arrivat|ricevut|difettos|res[oa]\b|"
    r"restituit|goods|delivered|returned|sent it back|received|arrived",
    "dispute_not_mine": r"non e (?:nostra|mia|nostro|mio)|not (?:our|my|mine|ours)|riconosco|"
    r"recogni|ordinato|ordered|non mi risulta|non (?:devo|dobbiamo)|don t owe",
}
