"""French vocabulary for the benchmark data set (accents included on purpose)."""

# fmt: off

FIRST_NAMES = [
    "Adèle", "Agnès", "Aimé", "Alain", "Albane", "Amélie", "Anaïs", "André",
    "Annaïg", "Anne", "Arnaud", "Aurélie", "Bénédicte", "Benoît", "Bernard",
    "Brieuc", "Camille", "Cécile", "Célestine", "Chloé", "Christelle", "Clément",
    "Corentin", "Dominique", "Denis", "Édouard", "Élise", "Élodie", "Émile",
    "Émilie", "Enora", "Éric", "Erwan", "Estelle", "Étienne", "Fabienne",
    "Françoise", "François", "Frédéric", "Gaëlle", "Gaël", "Geneviève", "Gérard",
    "Gwenaëlle", "Gwénola", "Hélène", "Hervé", "Inès", "Irène", "Jacques",
    "Jérôme", "Joël", "Josée", "Jean-Pierre", "Jean", "Joëlle", "Killian",
    "Laëtitia", "Léa", "Léon", "Loïc", "Louise", "Lucie", "Maël", "Maëlle",
    "Marie-Thérèse", "Mathilde", "Maïwenn", "Michèle", "Mickaël", "Morgane",
    "Nathalie", "Noé", "Noémie", "Océane", "Pascal", "Pénélope", "Philippe",
    "Raphaël", "Régis", "Renée", "Rozenn", "Sébastien", "Serge", "Solenn",
    "Sylviane", "Thérèse", "Timothée", "Tristan", "Valérie", "Véronique",
    "Yannick", "Yves", "Zoé",
]

LAST_NAMES = [
    "Le Berre", "Le Goff", "Le Gall", "Le Floc'h", "Le Bihan", "Le Corre",
    "Le Guen", "Le Roux", "Le Meur", "Le Pape", "Guégan", "Guéguen", "Kerhervé",
    "Kergoat", "Le Hénaff", "Jégou", "Jézéquel", "Bréhaut", "Fraillon", "Verger",
    "Leblond", "Cougoulat", "Goyet", "Ladame", "Soudy", "Tanguy", "Le Dréan",
    "Lefèvre", "Lefébure", "Mérel", "Ménard", "Mévellec", "Morvan", "Nédélec",
    "Pérès", "Quéméner", "Riou", "Sévellec", "Thépaut", "Traoré", "Nguyễn",
    "Da Silva", "Élégoët", "Évenou", "Février", "Gâtinel", "Hélias", "Hénon",
    "Kérébel", "Lagadec", "Le Strat", "Lozac'h", "Madec", "Noël", "Orvoën",
    "Pellé", "Quéré", "Raoul", "Salaün", "Stéphan", "Thomas", "Urvoy",
    "Vallée", "Yhuel", "Zéphir", "Bégot", "Caër", "Derrien", "Éveno",
    "Gourlaouën", "Jaffré", "Kervéadou", "Le Gouëff", "Le Méhauté",
]

TOWNS = [
    "Lorient", "Lanester", "Plœmeur", "Quéven", "Hennebont", "Guidel",
    "Larmor-Plage", "Caudan", "Kervignac", "Port-Louis", "Riantec", "Gâvres",
    "Inguiniel", "Languidic", "Plouay", "Pont-Scorff", "Bubry", "Quistinic",
    "Lanvaudan", "Calan", "Cléguer", "Inzinzac-Lochrist", "Brandérion",
    "Locmiquélic", "Groix", "Gestel", "Merlevenez", "Nostang", "Sainte-Hélène",
]

ORG_WORDS = [
    "Association", "Collectif", "Fédération", "Union", "Coopérative", "Maison",
    "Comité", "Réseau", "Amicale", "Atelier", "Chambre", "Syndicat",
]

ORG_TOPICS = [
    "des usagers du numérique", "pour l'économie sociale et solidaire",
    "des commerçants", "de l'éducation populaire", "des jeunes agriculteurs",
    "des pêcheurs", "de la culture bretonne", "des aînés", "pour l'égalité",
    "des parents d'élèves", "de quartier", "de l'habitat participatif",
    "des énergies renouvelables", "des mobilités douces", "du littoral",
]

GROUP_TOPICS = [
    "Innovation sociale numérique", "Mobilités", "Transition énergétique",
    "Économie maritime", "Habitat et urbanisme", "Santé et solidarités",
    "Culture et patrimoine", "Jeunesse", "Agriculture et alimentation",
    "Tourisme durable", "Emploi et formation", "Eau et biodiversité",
    "Démocratie participative", "Littoral", "Sport et loisirs",
    "Aménagement du territoire", "Déchets et économie circulaire",
    "Vie associative", "Égalité femmes-hommes", "Services publics",
]

PLACES = [
    "CDPL, 6 rue Alphonse Rio, Lorient", "Maison de l'Agglomération, Lorient",
    "Salle des fêtes, Quéven", "Médiathèque, Hennebont", "Espace Jean-Vilar, Lanester",
    "Mairie annexe, Plœmeur", "Visioconférence", "Salle Émeraude, Guidel",
]

OBJECTIVES = [
    "Ajustement de l'avis sur le Schéma Territorial du Numérique",
    "Préparation de l'assemblée plénière", "Point d'étape sur les amendements",
    "Audition des services de l'agglomération", "Relecture du compte rendu",
    "Élaboration d'une contribution", "Suivi des indicateurs du plan",
    "Présentation du diagnostic territorial", "Échanges avec les élu·e·s",
]

ACTION_VERBS = [
    "Envoyer", "Préparer", "Relire", "Présenter", "Organiser", "Rédiger",
    "Étudier", "Transmettre", "Recenser", "Définir", "Mettre à jour", "Évaluer",
]

ACTION_OBJECTS = [
    "l'avis amendé", "le point presse", "la synthèse des contributions",
    "les indicateurs du STN", "le compte rendu de la réunion",
    "la liste des participant·e·s", "le courrier aux élu·e·s",
    "le budget prévisionnel", "les données publiques disponibles",
    "la charte du groupe", "le calendrier des réunions",
]

PLAN_NAMES = [
    ("Schéma Territorial du Numérique", "STN"),
    ("Plan Climat-Air-Énergie Territorial", "PCAET"),
    ("Programme Local de l'Habitat", "PLH"),
    ("Plan de Déplacements Urbains", "PDU"),
    ("Projet Alimentaire Territorial", "PAT"),
]

AXES = [
    "Inclusion numérique", "Données publiques", "Infrastructures",
    "Sobriété énergétique", "Rénovation", "Mobilités actives", "Circuits courts",
    "Gouvernance", "Formation", "Logement social",
]

INDICATOR_NAMES = [
    "Nombre de personnes accompagnées", "Taux de couverture en fibre",
    "Jeux de données publiés", "Consommation d'énergie des bâtiments publics",
    "Logements rénovés", "Kilomètres de pistes cyclables",
    "Part des produits locaux en restauration collective",
    "Fréquentation des transports en commun", "Émissions de gaz à effet de serre",
    "Nombre d'ateliers organisés",
]

UNITS = ["personnes", "%", "jeux", "MWh", "logements", "km", "voyages", "tCO₂e"]
# fmt: on
