//! Message templates of the cabinet (migration 13): a name, a title and a text.

use super::{Store, exec, taken_is_conflict, with_pool, with_writer};
use crate::domain::Millis;
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub body: String,
    pub updated_at: Millis,
}

/// A template to store: new (`id` is `None`) or changed.
pub struct TemplateInput<'a> {
    pub id: Option<i64>,
    pub name: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub now: Millis,
}

impl Store {
    /// The partner's templates by name.
    pub async fn templates(&self, partner_id: i64) -> Result<Vec<TemplateRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, name, title, body, updated_at FROM message_templates
             WHERE partner_id = $1 ORDER BY name, id",
        )
        .bind(partner_id)
        .fetch_all(p)
        .await)?)
    }

    /// One of the partner's templates (another partner's is not found).
    pub async fn template(&self, partner_id: i64, id: i64) -> Result<Option<TemplateRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, name, title, body, updated_at FROM message_templates
             WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(id)
        .fetch_optional(p)
        .await)?)
    }

    /// Adds or changes a template; `None` when the one to change is not the partner's (or
    /// gone). A name the partner already uses for another template is a conflict.
    pub async fn save_template(
        &self,
        partner_id: i64,
        t: &TemplateInput<'_>,
    ) -> Result<Option<TemplateRow>> {
        let saved = match t.id {
            None => with_writer!(self, p => sqlx::query_as(
                "INSERT INTO message_templates (partner_id, name, title, body, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5)
                 RETURNING id, name, title, body, updated_at",
            )
            .bind(partner_id)
            .bind(t.name)
            .bind(t.title)
            .bind(t.body)
            .bind(t.now)
            .fetch_optional(p)
            .await),
            Some(id) => with_writer!(self, p => sqlx::query_as(
                "UPDATE message_templates SET name = $3, title = $4, body = $5, updated_at = $6
                 WHERE partner_id = $1 AND id = $2
                 RETURNING id, name, title, body, updated_at",
            )
            .bind(partner_id)
            .bind(id)
            .bind(t.name)
            .bind(t.title)
            .bind(t.body)
            .bind(t.now)
            .fetch_optional(p)
            .await),
        };
        taken_is_conflict(saved, || {
            phrase!(
                "Шаблон «{}» уже есть",
                "Template “{}” already exists",
                t.name
            )
        })
    }

    /// Deletes one of the partner's templates; its name when there was one.
    pub async fn delete_template(&self, partner_id: i64, id: i64) -> Result<Option<String>> {
        let Some(t) = self.template(partner_id, id).await? else {
            return Ok(None);
        };
        let n = exec!(self, p => sqlx::query(
            "DELETE FROM message_templates WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(id)
        .execute(p)
        .await)?;
        Ok((n == 1).then_some(t.name))
    }
}
