"""Demo organisations, contacts and staff users for `manage.py seed_demo` (idempotent)."""

from django.utils.text import slugify

from .models import Contact, Organisation, StaffMembership, User

DEMO_PASSWORD = "collabhub-demo"  # noqa: S105 - printed on start; demo data only
DEMO_LOGINS = [
    ("admin", "administrator"),
    ("commissioner", "Collaboration Commissioner"),
    ("staff", "staff, City of Riverton"),
    ("staff.lakeside", "staff, Town of Lakeside"),
]

K = Organisation.Kind
ORGANISATIONS = [
    # name, short name, kind, jurisdiction, parent name
    ("City of Riverton", "Riverton", K.MUNICIPALITY, "Northern Valley", None),
    ("Town of Lakeside", "Lakeside", K.MUNICIPALITY, "Northern Valley", None),
    ("Village of Cedar Falls", "Cedar Falls", K.MUNICIPALITY, "Northern Valley", None),
    ("Municipality of Eastport", "Eastport", K.MUNICIPALITY, "Coastal District", None),
    ("City of Hillcrest", "Hillcrest", K.MUNICIPALITY, "Coastal District", None),
    # A francophone municipality of the bilingual coast (its contacts write and read French).
    ("Ville de Beaulac", "Beaulac", K.MUNICIPALITY, "Coastal District", None),
    ("Northern Valley Regional District", "NVRD", K.REGIONAL_GOVERNMENT, "Northern Valley", None),
    ("Wolf Lake First Nation", "Wolf Lake FN", K.FIRST_NATION, "Treaty 9", None),
    ("Province of Westmark", "Westmark", K.PROVINCE, "Westmark", None),
    (
        "Westmark Ministry of Municipal Affairs",
        "WMMA",
        K.PROVINCE,
        "Westmark",
        "Province of Westmark",
    ),
    ("Infrastructure Canada", "INFC", K.FEDERAL, "Canada", None),
    ("Westmark Housing Corporation", "WHC", K.PUBLIC_BODY, "Westmark", None),
    ("Valley Food Bank Network", "VFBN", K.NON_PROFIT, "Northern Valley", None),
    ("Coastal Youth Services", "CYS", K.NON_PROFIT, "Coastal District", None),
    ("Community Transit Society", "CTS", K.NON_PROFIT, "Northern Valley", None),
    ("Northbridge Engineering Ltd.", "Northbridge", K.PRIVATE_FIRM, "Westmark", None),
    ("Clearwater Environmental Services", "Clearwater", K.PRIVATE_FIRM, "Westmark", None),
    ("Pinecrest Digital Inc.", "Pinecrest", K.PRIVATE_FIRM, "Westmark", None),
    ("University of Westmark", "UWest", K.ACADEMIC, "Westmark", None),
    ("Valley Health Authority", "VHA", K.PUBLIC_BODY, "Northern Valley", None),
    ("Coastal Watershed Council", "CWC", K.OTHER, "Coastal District", None),
]

CONTACT_NAMES = [
    ("Amara Okafor", "Chief Administrative Officer"),
    ("Benoît Tremblay", "Director of Partnerships"),
    ("Chloe Nakamura", "Program Manager"),
    ("Daniel Whitehorse", "Band Administrator"),
    ("Elena Petrova", "Finance Lead"),
    ("Farid Haddad", "Operations Manager"),
]
# Organisations whose people work in French: their own contacts, who prefer French e-mails.
FRENCH_CONTACTS = {
    "Ville de Beaulac": [
        ("Geneviève Cormier", "Directrice générale"),
        ("Luc Arseneault", "Agent des partenariats"),
    ],
}


def seed() -> str:
    created = 0
    by_name: dict[str, Organisation] = {}
    for index, (name, short, kind, jurisdiction, parent_name) in enumerate(ORGANISATIONS):
        organisation, was_created = Organisation.objects.get_or_create(
            slug=slugify(short or name),
            defaults={
                "name": name,
                "short_name": short,
                "kind": kind,
                "jurisdiction": jurisdiction,
                "parent": by_name.get(parent_name),
                "website": f"https://www.{slugify(short)}.example.org",
            },
        )
        by_name[name] = organisation
        if was_created:
            created += 1
            people = FRENCH_CONTACTS.get(name) or CONTACT_NAMES[index % 3 : index % 3 + 2]
            for offset, (person, title) in enumerate(people):
                Contact.objects.create(
                    preferred_language="fr" if name in FRENCH_CONTACTS else "",
                    organisation=organisation,
                    name=person,
                    title=title,
                    email=f"{slugify(person).replace('-', '.')}@{slugify(short)}.example.org",
                    phone=f"+1 555 01{index:02d} {offset}0{offset}",
                    is_primary=offset == 0,
                )

    users = [
        ("admin", "Ada", "Admin", User.Role.ADMINISTRATOR, None, ""),
        ("commissioner", "Claire", "Commissioner", User.Role.COMMISSIONER, None, ""),
        ("staff", "Sam", "Staff", User.Role.STAFF, "City of Riverton", "Partnerships Officer"),
        ("staff.lakeside", "Lee", "Lakeside", User.Role.STAFF, "Town of Lakeside", "Clerk"),
    ]
    for username, first, last, role, employer, job_title in users:
        user, was_created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@collabhub.example.org",
                "role": role,
                "is_staff": role == User.Role.ADMINISTRATOR,
                "is_superuser": role == User.Role.ADMINISTRATOR,
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if employer:
            StaffMembership.objects.get_or_create(
                user=user, defaults={"organisation": by_name[employer], "job_title": job_title}
            )
    return f"{created} organisations created, {len(ORGANISATIONS)} in the demo set"
