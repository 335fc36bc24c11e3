"""Facts transcribed by hand from the seed presentation (tests/fixtures/seed.txt, a copy of
shared/seed/welcoming-and-supporting-all-students.txt), to check the content pack against."""

SERVICES = {
    "ciri": {
        "category": "education",
        "phones": ["8606923085"],
        "email": "immigration@cirict.org",
        "website": None,
        "address": ["75 Charter Oak Avenue", "Suite 2-180", "Hartford", "CT", "06106"],
    },
    "the-american-place": {
        "category": "education",
        "phones": ["8606956337"],
        "email": "tap@hplct.org",
        "website": "https://tap.hplct.org/immigration/",
        "address": None,
    },
    "iris": {
        "category": "case-management",
        "phones": ["2035622095"],
        "email": "info@irisct.org",
        "website": "https://irisct.org/iris-resources/",
        "address": ["25 Main Street", "Hartford", "CT", "06106"],
    },
    "institute-for-the-hispanic-family": {
        "category": "case-management",
        "phones": ["8605271124"],
        "email": None,
        "website": "https://www.ccaoh.org/how-we-help/ihf/",
        "address": ["45 Wadsworth Street", "Hartford", "CT"],
    },
    "greater-hartford-legal-aid": {
        "category": "legal",
        "phones": ["8605415030"],
        "email": "referral@ghla.org",
        "website": "http://www.ghla.org/",
        "address": None,
    },
    "center-for-latino-progress": {
        "category": "legal",
        "phones": ["8602473227"],
        "email": None,
        "website": "https://ctprf.org/services/immigration-services/",
        "address": ["95-97 Park Street", "Hartford", "CT", "06106"],
    },
    "connecticut-legal-services": {
        "category": "legal",
        "phones": ["8007980671"],
        "email": None,
        "website": "https://ctlegal.org/",
        "address": None,
    },
}

# Links the seed leaves as (#): their text, which must stay marked missing.
MISSING_LINKS = [
    "one-pager for school leaders",
    "protecting Hartford residents from being asked about their immigration status",
    "Trust Act",
    "Strategies and Resources to Support Trauma-Informed Schools",
    "Classroom WISE",
    "Helping Youth After Community Trauma: Tips for Educators",
    "Introduction to Trauma-Informed Classrooms",
]
AS_OF = "2024-12-17"
