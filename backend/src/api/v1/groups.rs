//! `getgroups`, `savegroup`, `deletegroup` (additions): groups of employees to send to.

use super::body::{V1Body, V1ListBody, lenient};
use super::bulk::flag;
use super::envelope::{V1Error, envelope};
use super::security::TokenAuth;
use super::{V1Tag, given, required, state};
use crate::cabinet::audit;
use crate::domain::{GroupId, GroupName, StaffId};
use crate::phrase::stored;
use crate::service::groups::{self, SaveGroup};
use crate::store::GroupRow;
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;
use std::collections::HashMap;

/// Request of `getgroups`.
#[derive(Object, Deserialize)]
pub struct GroupsRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Только эта группа (ошибка 404, если её нет); без него — все группы.
    #[serde(default, deserialize_with = "lenient::string")]
    pub groupid: Option<String>,
    /// `false` — без списков участников (`staffids`), только их число: для большой компании
    /// ответ о 500 группах остаётся маленьким. По умолчанию `true`.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub members: Option<String>,
}

/// Request of `savegroup`.
#[derive(Object, Deserialize)]
pub struct SaveGroupRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Группа, которую изменить; без него — группа с этим названием (`name`), а если её нет,
    /// новая.
    #[serde(default, deserialize_with = "lenient::string")]
    pub groupid: Option<String>,
    /// Название, до 100 символов, у партнёра не повторяется (например, «Склад», «Смена А»).
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    /// Участники с этого момента: массив идентификаторов сотрудников или строка через запятую;
    /// `[]` — никого. Не указан — участники не меняются.
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub staffids: Option<Vec<String>>,
}

/// Request of `deletegroup`.
#[derive(Object, Deserialize)]
pub struct GroupIdRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub groupid: Option<String>,
}

/// A group of employees.
#[derive(Object, Debug)]
pub struct Group {
    pub groupid: String,
    pub name: String,
    /// Its members (in any state: only the active ones get messages), by ID; left out when
    /// `getgroups` was asked `"members": false`.
    #[oai(skip_serializing_if_is_none)]
    pub staffids: Option<Vec<String>>,
    /// How many members it has.
    pub memberscount: i64,
}

envelope!(
    /// Answer of `savegroup`.
    GroupEnvelope,
    Group
);

envelope!(
    /// Answer of `getgroups`: the partner's groups by name.
    GroupListEnvelope,
    Vec<Group>
);

#[derive(Object, Debug)]
pub struct GroupDeletedData {
    pub groupid: String,
}

envelope!(
    /// Answer of `deletegroup`.
    GroupDeletedEnvelope,
    GroupDeletedData
);

fn group(row: GroupRow, members: Option<Vec<i64>>) -> Group {
    Group {
        groupid: row.id.to_string(),
        name: row.name,
        staffids: members.map(|ids| ids.iter().map(i64::to_string).collect()),
        memberscount: row.members,
    }
}

pub struct GroupsApi;

#[OpenApi(tag = "V1Tag::Staff")]
impl GroupsApi {
    /// Группы сотрудников (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра): все группы партнёра по названию, с участниками и их
    /// числом; с `groupid` — одна группа; с `"members": false` — без списков участников.
    /// Сообщение группе — createmessagebulk или schedulemessage с `groupid`.
    #[oai(path = "/getgroups", method = "post")]
    async fn get_groups(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<GroupsRequest>,
    ) -> Result<Json<GroupListEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_partner()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let with_members = flag(&b.members, "members")?.unwrap_or(true);
        if let Some(raw) = given(&b.groupid) {
            let id = GroupId::parse(raw)?;
            let row = state
                .store
                .group(partner.id, id.0)
                .await?
                .ok_or_else(|| V1Error::from(groups::not_found(id.0)))?;
            let members = match with_members {
                true => state.store.group_members(partner.id, id.0).await?,
                false => None,
            };
            let ids = members.map(|ids| ids.into_iter().map(|m| m.0).collect());
            return Ok(GroupListEnvelope::ok(vec![group(row, ids)]));
        }
        let rows = state.store.groups(partner.id).await?;
        let mut members: HashMap<i64, Vec<i64>> = HashMap::with_capacity(rows.len());
        if with_members {
            for (group_id, staff_id) in state.store.group_memberships(partner.id).await? {
                members.entry(group_id).or_default().push(staff_id);
            }
        }
        Ok(GroupListEnvelope::ok(
            rows.into_iter()
                .map(|row| {
                    let ids = with_members.then(|| members.remove(&row.id).unwrap_or_default());
                    group(row, ids)
                })
                .collect(),
        ))
    }

    /// Создать или изменить группу (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра). С `groupid` меняет эту группу; без него — группу с
    /// названием `name`, а если такой нет, создаёт новую: так АСУ может выгружать свои отделы
    /// по названию, повтор запроса ничего не портит. `staffids` задаёт участников целиком
    /// (все должны быть сотрудниками партнёра, иначе ошибка 404 и ничего не меняется); без
    /// него участники остаются прежними. Название, занятое другой группой, — ошибка 409.
    #[oai(path = "/savegroup", method = "post")]
    async fn save_group(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1ListBody<SaveGroupRequest>,
    ) -> Result<Json<GroupEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_writer()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let name = GroupName::parse(b.name.as_deref().unwrap_or_default())?;
        let id = given(&b.groupid).map(GroupId::parse).transpose()?;
        let members: Option<Vec<StaffId>> = b
            .staffids
            .map(|ids| ids.iter().map(|id| StaffId::parse(id)).collect())
            .transpose()?;
        let saved = groups::save(
            state,
            partner,
            SaveGroup {
                id,
                name: &name,
                members: members.as_deref(),
                by_name: true,
            },
        )
        .await?;
        let detail = stored::AUDIT_GROUP_SAVED.fill(&[&saved.name, &saved.members.to_string()]);
        audit::record(
            state,
            req,
            partner.id,
            &auth.0.actor(),
            audit::Action::GroupSaved,
            &detail,
        )
        .await;
        let ids = state
            .store
            .group_members(partner.id, saved.id)
            .await?
            .unwrap_or_default();
        Ok(GroupEnvelope::ok(group(
            saved,
            Some(ids.iter().map(|id| id.0).collect()),
        )))
    }

    /// Удалить группу (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра). Сотрудники группы остаются. Группу, которой
    /// запланированы отправки, удалить нельзя (ошибка 409): сначала отмените их.
    #[oai(path = "/deletegroup", method = "post")]
    async fn delete_group(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<GroupIdRequest>,
    ) -> Result<Json<GroupDeletedEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_writer()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let id = GroupId::parse(required(&b.groupid, "groupid")?)?;
        let name = groups::delete(state, partner, id).await?;
        audit::record(
            state,
            req,
            partner.id,
            &auth.0.actor(),
            audit::Action::GroupDeleted,
            &format!("«{name}»"),
        )
        .await;
        Ok(GroupDeletedEnvelope::ok(GroupDeletedData {
            groupid: id.to_string(),
        }))
    }
}
