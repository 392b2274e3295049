"""The retrieval test set of `rag_quality.py`: 300 generated passages about fictional products, towns and
people, and questions of three kinds, each with the one passage that answers it.

    python -m benchmarks.rag_dataset   # rewrites benchmarks/data/rag_quality.json (deterministic)

- `code`: names a product only by its code ("What warranty does the ZX-4410 carry?"); every product of its
  kind has a warranty, so only the exact code finds the passage (keyword search's strength).
- `meaning`: paraphrases a distinctive fact with other words and no name ("Which kettle can you start from
  bed with your phone?" for "it can be switched on remotely through a smartphone app") — vectors' strength.
- `name`: names the town or person, as most questions do.
Everything is invented, so no model has seen the facts; passages of one kind share their wording, so a
question must be matched on what distinguishes its passage.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

PATH = Path(__file__).parent / "data" / "rag_quality.json"

PRODUCT_KINDS = [
    "kettle", "thermostat", "drone", "e-bike", "backpack", "headphones", "desk lamp", "robot vacuum",
    "smartwatch", "camera",
]  # fmt: skip
PER_KIND = 18
TOWNS = 60
PEOPLE = 60

# (kind, sentence in the passage, a question that paraphrases it without its words where possible)
HOOKS: list[tuple[str, str, str]] = [
    ("kettle", "It can be switched on remotely through a smartphone app.",
     "Which kettle can I start from bed using my phone?"),
    ("kettle", "Its body is double-walled, so the outside stays cool to the touch while it boils.",
     "Which kettle won't burn your fingers when the water is hot?"),
    ("kettle", "A built-in filter removes limescale as the water is poured.",
     "Is there a kettle that keeps mineral deposits out of my tea?"),
    ("kettle", "It holds water at any chosen temperature for up to an hour.",
     "Which kettle keeps the water warm for a long time after heating?"),
    ("thermostat", "It learns the household's schedule in the first week, then adjusts heating by itself.",
     "Which thermostat figures out our routine on its own?"),
    ("thermostat", "It turns the radiators down automatically when a window is opened.",
     "Which thermostat notices a draught from outside and stops heating?"),
    ("thermostat", "Its display is e-ink and readable in direct sunlight.",
     "Which thermostat screen can you still see clearly on a bright day?"),
    ("drone", "It follows a cyclist automatically and films from behind.",
     "Which drone can track me while I ride and record the trip?"),
    ("drone", "It folds to the size of a paperback book for travel.",
     "Which drone packs down small enough to carry in a coat pocket?"),
    ("drone", "It returns to its launch point by itself when the battery runs low.",
     "Which drone comes home on its own before it runs out of power?"),
    ("drone", "Its propellers are shrouded in cages so it can fly indoors safely.",
     "Which drone is safe to fly inside the house?"),
    ("e-bike", "The motor assists only up to 25 km/h, as the law requires in Europe.",
     "Which electric bicycle is limited to the legal speed for EU roads?"),
    ("e-bike", "Its frame folds in half and fits in the boot of a small car.",
     "Which electric bicycle can be collapsed and put in a hatchback?"),
    ("e-bike", "The battery recharges partly while braking downhill.",
     "Which electric bike gets energy back when slowing on descents?"),
    ("backpack", "It has a hidden pocket against the wearer's back for a passport.",
     "Which rucksack has a secret compartment to keep travel documents away from thieves?"),
    ("backpack", "The fabric is woven from recycled fishing nets.",
     "Which bag is made from old material pulled out of the sea?"),
    ("backpack", "A solar panel on the flap charges a phone while hiking.",
     "Which rucksack can top up my mobile from sunlight on a trek?"),
    ("headphones", "They cancel outside noise and still let voices through in a transparency mode.",
     "Which headset blocks the engine hum but lets me hear announcements?"),
    ("headphones", "They are sweat-resistant and stay in place while running.",
     "Which earphones are good for jogging and won't fall out?"),
    ("headphones", "They conduct sound through the cheekbones instead of covering the ears.",
     "Which headset leaves my ears open by sending audio through bone?"),
    ("desk lamp", "Its light shifts from cool white in the morning to warm amber at night.",
     "Which lamp changes colour temperature through the day to help me sleep?"),
    ("desk lamp", "It has a wireless charging pad built into its base.",
     "Which light also powers up my phone when I set it down?"),
    ("desk lamp", "It dims itself when it senses daylight in the room.",
     "Which lamp gets less bright on its own when the sun comes in?"),
    ("robot vacuum", "It empties its own dust bin into a bag in the docking station.",
     "Which cleaning robot doesn't need me to throw away the dirt it collects?"),
    ("robot vacuum", "It mops hard floors and lifts the mop when it reaches a carpet.",
     "Which robot washes tiles but keeps rugs dry?"),
    ("robot vacuum", "Its camera recognises cables and socks and steers around them.",
     "Which robot avoids getting tangled in cords left on the floor?"),
    ("smartwatch", "It measures blood oxygen during sleep.",
     "Which wrist device checks how well I breathe overnight?"),
    ("smartwatch", "It runs for a month between charges.",
     "Which watch can go weeks without being plugged in?"),
    ("smartwatch", "It can pay at shop terminals without a phone nearby.",
     "Which watch lets me buy groceries contactlessly when I leave my mobile at home?"),
    ("camera", "Its sensor is stabilised in five axes for handheld video.",
     "Which camera keeps footage steady without a tripod?"),
    ("camera", "It is waterproof to thirty metres without a housing.",
     "Which camera can I take scuba diving as it is?"),
    ("camera", "It prints photos instantly on small sheets of paper.",
     "Which camera gives you a physical picture right after you shoot?"),
    ("town", "Every August its residents race homemade bathtubs down the river.",
     "Where do locals paddle tubs from their bathrooms in a summer contest?"),
    ("town", "The town is built around a lake that freezes hard enough for horse races in winter.",
     "Where are horses raced on ice in the cold months?"),
    ("town", "A cable car links the old harbour to the cliff-top quarter.",
     "Which place has an aerial tram going up from the port to the top of the cliffs?"),
    ("town", "Its bakers are famous for a rye bread baked in the ashes of a wood fire.",
     "Which town is known for a dark loaf cooked in embers?"),
    ("town", "The streets are lit by gas lamps that a lamplighter still lights every evening.",
     "Where does someone still go around at dusk lighting old street lights by hand?"),
    ("town", "Cars are banned from the centre and goods arrive by canal boat.",
     "Which town has no motor traffic in its core and gets deliveries over water?"),
    ("town", "It has the oldest working printing press in the region, from 1602.",
     "Where can you see a centuries-old machine for making books that still operates?"),
    ("town", "A colony of storks nests on the chimneys of the town hall each spring.",
     "Which town's municipal building hosts large migratory birds on its roof?"),
    ("town", "Its vineyards grow on volcanic soil on the slopes of an extinct crater.",
     "Where is wine made from grapes grown on a dead volcano?"),
    ("town", "The whole town celebrates the first day of the herring season with a fish market on the quay.",
     "Which port holds a festival when the fishing boats bring in the first catch of the year?"),
    ("person", "She designed the first bridge in the country built entirely from recycled plastic.",
     "Which engineer made a river crossing out of reused polymer waste?"),
    ("person", "He swam across the northern strait in winter without a wetsuit.",
     "Who crossed the cold channel in the water with no thermal suit?"),
    ("person", "She taught herself to compose music after losing her hearing.",
     "Which composer learned to write songs despite being deaf?"),
    ("person", "He mapped the caves beneath the capital over thirty years.",
     "Who spent decades charting the underground passages under the main city?"),
    ("person", "She founded a library that lends tools instead of books.",
     "Who started a place where you can borrow a drill the way you would borrow a novel?"),
    ("person", "He grows the largest pumpkins in the province and won the national weigh-off four times.",
     "Who keeps winning the giant gourd contest?"),
    ("person", "She restored a silent film that had been lost for ninety years.",
     "Which archivist brought back a movie from the 1920s that everyone thought was gone?"),
    ("person", "He walked from the southern coast to the northern border collecting folk songs.",
     "Who hiked the length of the country gathering traditional tunes?"),
    ("person", "She invented a cheap water filter made from clay and rice husks.",
     "Who came up with an inexpensive purifier built from earth and grain waste?"),
    ("person", "He trained crows to collect litter in the city park in exchange for peanuts.",
     "Who taught birds to tidy up rubbish for a food reward?"),
    ("person", "She was the first woman to captain a research ship across the polar sea.",
     "Which sailor was the first female commander of a scientific vessel in the Arctic?"),
    ("person", "He carves violins from wood salvaged from demolished churches.",
     "Who makes string instruments out of timber from torn-down places of worship?"),
]  # fmt: skip

FILLERS = {
    "product": [
        "It is sold online and in larger department stores.",
        "Reviewers praised its build quality.",
        "It comes in black, white and grey.",
        "The box includes a quick-start guide.",
        "Spare parts are available for ten years.",
    ],
    "town": [
        "The town has a weekly market on Saturdays.",
        "A railway line connects it to the coast.",
        "Its church dates from the fourteenth century.",
        "Tourism and farming are the main industries.",
    ],
    "person": [
        "The work was covered widely in the national press.",
        "Several schools have invited them to speak.",
        "They received a regional award for the achievement.",
        "A short documentary was made about their life.",
    ],
}
CITIES = ["Orvik", "Tallmere", "Branska", "Quellon", "Dunhaven", "Saragoz", "Pellin", "Vossberg"]
REGIONS = ["Highmoor", "the Coastal Reach", "Lower Vale", "the Eastern Marches", "Greyfell"]
PROFESSIONS = [
    "engineer",
    "swimmer",
    "composer",
    "surveyor",
    "librarian",
    "farmer",
    "archivist",
    "folklorist",
]
SYLLABLES = [
    "ka",
    "lo",
    "ren",
    "vi",
    "tor",
    "mel",
    "sa",
    "dun",
    "bri",
    "ost",
    "fen",
    "la",
    "mar",
    "quo",
    "zel",
]
GIVEN = ["Ada", "Bram", "Cora", "Dario", "Elin", "Fenna", "Gus", "Hedda", "Ivo", "Juna", "Kai", "Lotte"]


def _article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _name(rng: random.Random, used: set[str], parts: int = 2) -> str:
    while True:
        name = "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()
        if name not in used:
            used.add(name)
            return name


def _code(rng: random.Random, used: set[str]) -> str:
    while True:
        code = f"{rng.choice('BKLMPRTVXZ')}{rng.choice('ACDEGHJNQRSWXY')}-{rng.randint(1000, 9999)}"
        if code not in used:
            used.add(code)
            return code


def build(seed: int = 12) -> dict[str, Any]:
    """The passages and questions, the same for the same seed."""
    rng = random.Random(seed)
    names: set[str] = set()
    codes: set[str] = set()
    hooks: dict[str, list[tuple[str, str]]] = {}
    for kind, sentence, question in HOOKS:
        hooks.setdefault(kind, []).append((sentence, question))
    passages: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []

    def add(text: str, title: str, kind: str, hook_kind: str, make_question: Any) -> None:
        pid = f"p{len(passages):03d}"
        pool = hooks.get(hook_kind)
        if pool:
            sentence, question = pool.pop(0)
            text = text.replace("{hook}", sentence)
            questions.append({"question": question, "passage": pid, "kind": "meaning"})
        else:
            text = text.replace("{hook}", rng.choice(FILLERS[kind]))
        passages.append({"id": pid, "title": title, "text": text, "kind": kind})
        make_question(pid)

    for kind in PRODUCT_KINDS:
        for index in range(PER_KIND):
            name, code = (
                _name(rng, names) + " " + rng.choice(["One", "Pro", "Go", "Air", "Max"]),
                _code(rng, codes),
            )
            city, price, years = rng.choice(CITIES), rng.randint(19, 899), rng.randint(1, 6)
            weight = rng.randint(150, 4000)
            text = (
                f"The {name} (model {code}) is a {kind} made by {_name(rng, names, 3)} Works in {city}. "
                f"It weighs {weight} grams. {{hook}} {rng.choice(FILLERS['product'])} "
                f"The {code} costs {price} euros and carries a {years}-year warranty."
            )

            def code_question(pid: str, code: str = code, index: int = index) -> None:
                if index % 3 == 0:
                    asked = [
                        f"What warranty does the {code} carry?",
                        f"How much does the {code} cost?",
                        f"How heavy is the {code}?",
                    ][index // 3 % 3]
                    questions.append({"question": asked, "passage": pid, "kind": "code"})

            add(text, f"{name} {kind}", "product", kind, code_question)

    for index in range(TOWNS):
        town, river = _name(rng, names, 3), _name(rng, names, 3)
        year, population = rng.randint(900, 1850), rng.randint(2, 90) * 1000
        text = (
            f"{town} is a town on the {river} river in {rng.choice(REGIONS)}, founded in {year}. "
            f"About {population} people live there. {{hook}} {rng.choice(FILLERS['town'])}"
        )

        def town_question(pid: str, town: str = town, index: int = index) -> None:
            if index % 4 == 0:
                asked = [f"When was {town} founded?", f"How many people live in {town}?"][index // 4 % 2]
                questions.append({"question": asked, "passage": pid, "kind": "name"})

        add(text, town, "town", "town", town_question)

    for index in range(PEOPLE):
        person = f"{rng.choice(GIVEN)} {_name(rng, names, 3)}"
        born, home = rng.randint(1930, 1995), rng.choice(CITIES)
        text = (
            f"{person} is {_article(rng.choice(PROFESSIONS))} born in {home} in {born}. "
            f"{{hook}} {rng.choice(FILLERS['person'])}"
        )

        def person_question(pid: str, person: str = person, index: int = index) -> None:
            if index % 4 == 0:
                asked = [f"Where was {person} born?", f"In which year was {person} born?"][index // 4 % 2]
                questions.append({"question": asked, "passage": pid, "kind": "name"})

        add(text, person, "person", "person", person_question)

    return {"seed": seed, "passages": passages, "questions": questions}


def load() -> dict[str, Any]:
    """The stored test set."""
    return dict(json.loads(PATH.read_text()))


if __name__ == "__main__":
    PATH.parent.mkdir(exist_ok=True)
    data = build()
    PATH.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    kinds = [q["kind"] for q in data["questions"]]
    print(len(data["passages"]), "passages,", {k: kinds.count(k) for k in sorted(set(kinds))}, "questions")
