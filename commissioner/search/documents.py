"""What each searchable model is searched by: on PostgreSQL, a full-text document stored in a
`search_document` column that the database generates from the row and GIN-indexes
(commissioner/migrations/0019); the ORM does not know the column, so this expression names it.

The documents, `simple` configuration (names are proper nouns in English and French, so no
stemming and no stop words of one language), weight A for what a hit is called:
- organisations: A name and short name, C jurisdiction;
- contacts: A name, B e-mail, C job title;
- collaborations: A title, B summary, C shared vision, each in English and French;
- agreements: A title;
- goals: A title, B indicator, each in English and French.
Collaborations and goals are written in English, French or both (agreements/translation.py):
every version is searched."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db.models import Expression

CONFIG = "simple"
COLUMN = "search_document"


class StoredDocument(Expression):
    """The row's stored document, on the query's base table. (Not a model field: a generated
    column exists on PostgreSQL only, and a GeneratedField would need the same expression on
    SQLite, which has no full-text vectors.)"""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        return f"{table}.{connection.ops.quote_name(COLUMN)}", []
