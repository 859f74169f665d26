"""The consent text a parent reads online. Its version is stored with every answer given to it:
change the words, change the version."""

VERSION = "online-2026-1"

PARAGRAPHS = (
    "The council's work-placement programme gives pupils a week or two with a local digital "
    "business. Your child's school has registered your child and asks for your consent for them "
    "to take part.",
    "If you consent, the school and the council use your child's name, date of birth, year group, "
    "school, home postcode (to find placements within reach) and any priority the school records, "
    "to match your child to a placement. Your child can choose the placements they would like.",
    "A host sees only your child's first name, school and year group, and what you agree below "
    "that they may know. They never see your child's address or date of birth.",
    "The allocation is made by a computer program following published rules. You will be told the "
    "outcome and why, and you can ask for a person to review it.",
    "You can withdraw your consent at any time, through this link or by telling the school.",
)
