# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""What every part of the purge shares (``docs/purge.md``).

- :func:`references` / :func:`blocking_holders`: which images and services hold a model or an
  image (the service answers 412 ``DeletionRequired`` for those), computed from the listings,
  so that check mode refuses exactly where the real run would be refused.
- :class:`PurgeError`: a refused purge, a module failure with its result keys (``_module.AzureMLModule.fail_from``).
- :func:`settle_pending`: what an interrupted run left ``pending`` in the audit log (``_audit``) is
  settled by listing again.

The jobs live beside it: ``_purge_delete`` (the modules ``model``, ``asset``, ``image``, ``service``),
``_purge_plan`` (``purge_plan`` mode=plan), ``_purge_apply`` (mode=apply and mode=verify), ``_plan_file``
(``purge-plan.json``), ``_workspace_delete`` (the module ``workspace``).
"""

import os

from ansible_collections.gdpr.azureml.plugins.module_utils._audit import settle_by_relist
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._export import list_all
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import (
    CHILDREN, DELETABLE_KINDS, HOLDER_KINDS, HOLDING_KINDS, KINDS, SAME_AS, SINGULAR, other_view, references, route_params,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import placeholders
from ansible_collections.gdpr.azureml.plugins.module_utils import _storage_purge


class PurgeError(GdprAzureMLError):
    """A purge cannot go on (a refused plan, deletes that failed); ``result`` holds the failure's extra keys (the plan,
    what was deleted before it stopped)."""

    def __init__(self, message, **result):
        super().__init__(message)
        self.result = result


def singular(kind_name):
    return SINGULAR.get(kind_name, kind_name)


def describe_holders(holders):
    """``["image i:1", "service s"]`` -> ``"image i:1 and service s"``."""
    holders = list(holders)
    if len(holders) <= 1:
        return ''.join(holders)
    return ', '.join(holders[:-1]) + ' and ' + holders[-1]


# -- listing and references -----------------------------------------------------------------------------------------------

def list_objects(client, kind_name, ws):
    """Every object of ``kind_name`` in the workspace (every page; a kind listed under a parent: under each parent)."""
    return list_kinds(client, [kind_name], ws)[kind_name]


def list_kinds(client, kind_names, ws):
    """``{kind: [objects]}`` for ``kind_names``, listed as the export lists them (``_export.list_all``: concurrently, each
    list one page after another, asset versions under each container, deployments under each endpoint)."""
    return list_all(client, list(dict.fromkeys(kind_names)))


def with_holders(kind_names):
    """``kind_names`` and what a plan must list to tell whether its deletes would be refused or would delete an object twice:
    the kinds whose objects can hold theirs (images and services hold models, services hold images), the kinds listed
    under a container that refuses its delete while they are left (asset versions), and the other view of each kind's
    objects (``Kind.same_as``: a v2 model version is a v1 model)."""
    names = list(kind_names)
    names += [h for k in kind_names for h in HOLDER_KINDS.get(k, ())]
    names += [c for k in kind_names if not KINDS[k].takes_children for c in CHILDREN.get(k, ()) if KINDS[c].delete_op]
    names += [KINDS[k].empty_of[0] for k in kind_names if KINDS[k].empty_of]
    names += [SAME_AS[k] for k in list(names) if k in SAME_AS and KINDS[SAME_AS[k]].delete_op]
    return list(dict.fromkeys(names))


def delete_params(kind_name, obj_id, ws):
    """The parameters of the DELETE of object ``obj_id`` of kind ``kind_name``: an ARM id read against the kind's delete
    route (only an id inside workspace ``ws``: PurgeError otherwise), else the id as the route's one parameter."""
    params = route_params(kind_name, obj_id)
    if params is None:
        if str(obj_id).startswith('/'):
            raise PurgeError(f'{singular(kind_name)} {obj_id} is not an id of a {singular(kind_name)} (its delete route does not match)')
        own = [n for n in placeholders(KINDS[kind_name].delete_op) if n not in ('subscription_id', 'resource_group', 'workspace_name')]
        return {own[0]: obj_id}
    coords = {'subscription_id': ws.subscription_id, 'resource_group': ws.resource_group, 'workspace_name': ws.workspace_name}
    if any(str(params.get(k, '')).lower() != str(v).lower() for k, v in coords.items()):
        raise PurgeError(f'{singular(kind_name)} {obj_id} is not in workspace {ws}: not deleted')
    return {k: v for k, v in params.items() if k not in coords}


def once_each(objects, listed, kinds, by_subject=False):
    """The plan's ``objects`` (``{kind: [ids]}``) with each object deleted once and no delete the service would refuse:

    - an object of two views (``Kind.same_as``: a v2 model version is the v1 model ``name:version``) in scope under both is
      deleted (and counted) under the other kind only, or kept there (a model an image of someone else holds);
    - a container (a kind whose delete does not take what is listed under it) is kept while one of its versions stays (the
      service answers 409): with a purge by subject, another person's version keeps it.

    - an object deleted only once empty (``Kind.empty_of``: an experiment) is planned when none of its runs stays (each
      run goes as the job of the same id); with a purge by subject (``by_subject``) only when this purge takes one of its
      runs (an experiment the subject's jobs leave empty; another person's empty experiment is not theirs).

    Returns ``(objects, kept)``; ``kept`` is ``{kind: {id: reason}}``.
    """
    objects = {k: list(ids) for k, ids in objects.items()}
    for kind_name in kinds:
        other = SAME_AS.get(kind_name)
        if other in kinds:
            # the other kind decides, planned or not: a model a service still holds (kept) is not deleted as a version
            seen = {KINDS[other].object_id(o) for o in listed.get(other) or []} | set(objects.get(other) or ())
            objects[kind_name] = [i for i in objects[kind_name] if (other_view(kind_name, i) or (None, None))[1] not in seen]
    kept = {}
    for kind_name in kinds:
        if not KINDS[kind_name].empty_of:
            continue
        child, field = KINDS[kind_name].empty_of
        going = {other_view(alias, i)[1] for alias, target in SAME_AS.items() if target == child and alias in kinds
                 for i in objects.get(alias) or () if other_view(alias, i)}
        staying, emptied = {}, set()
        for obj in listed.get(child) or []:
            parent = str(obj.get(field) or '')
            if KINDS[child].object_id(obj) in going:
                emptied.add(parent)
            else:
                staying[parent] = staying.get(parent, 0) + 1
        candidates = [KINDS[kind_name].object_id(o) for o in listed.get(kind_name) or []] if by_subject else objects[kind_name]
        planned = []
        for obj_id in candidates:
            if staying.get(obj_id):
                if obj_id in emptied or not by_subject:
                    kept.setdefault(kind_name, {})[obj_id] = f'{staying[obj_id]} of its {KINDS[child].plural} stay'
            elif obj_id in emptied or not by_subject:
                planned.append(obj_id)
        objects[kind_name] = sorted(set(planned))
    for kind_name in kinds:
        if KINDS[kind_name].takes_children or not objects.get(kind_name):
            continue
        for child in CHILDREN.get(kind_name, ()):
            if not KINDS[child].delete_op:
                continue
            going = set(objects.get(child) or ())
            other = SAME_AS.get(child)
            going_other = set(objects.get(other) or ()) if other else set()
            staying = {}
            for obj in listed.get(child) or []:
                child_id = KINDS[child].object_id(obj)
                view = other_view(child, child_id)
                if child_id in going or (view is not None and view[1] in going_other):
                    continue
                parent = child_id.lower().rsplit('/', 2)[0]  # <parent id>/<collection>/<name>
                staying[parent] = staying.get(parent, 0) + 1
            for obj_id in list(objects[kind_name]):
                left = staying.get(obj_id.lower())
                if left:
                    objects[kind_name].remove(obj_id)
                    kept.setdefault(kind_name, {})[obj_id] = (f'{left} of its {KINDS[child].plural} stay (Azure refuses to delete a '
                                                              f'{singular(kind_name)} that has versions)')
    return objects, kept


def holder_index(listed):
    """``{(kind, id): [(holder kind, holder id), ...]}`` from the listings of images and services."""
    index = {}
    for holder_kind in HOLDING_KINDS:
        for obj in listed.get(holder_kind) or []:
            holder_id = KINDS[holder_kind].object_id(obj)
            for ref in references(holder_kind, obj):
                index.setdefault(ref, []).append((holder_kind, holder_id))
    return index


def blocking_holders(targets, listed):
    """The targets still held by something this purge does not delete.

    :param targets: ``{kind: iterable of ids}`` that would be deleted.
    :param listed: ``{kind: [objects]}`` holding at least the images and services of the workspace.
    :returns: ``{kind: {id: ["image i:1", "service s"]}}`` (only kinds and ids with a holder).
    """
    index = holder_index(listed)
    deleting = {kind: set(ids) for kind, ids in targets.items()}
    blocked = {}
    for kind_name in HOLDER_KINDS:
        for obj_id in sorted(deleting.get(kind_name, ())):
            holders = sorted({f'{singular(hk)} {hid}' for hk, hid in index.get((kind_name, obj_id), ())
                              if hid not in deleting.get(hk, ())})
            if holders:
                blocked.setdefault(kind_name, {})[obj_id] = holders
    return blocked


def holders_message(blocked, ws, limit=10):
    """One sentence naming what holds what (at most ``limit`` objects spelled out)."""
    parts, count = [], 0
    for kind_name in HOLDER_KINDS:
        for obj_id, holders in sorted((blocked.get(kind_name) or {}).items()):
            count += 1
            if len(parts) < limit:
                parts.append(f'{singular(kind_name)} {obj_id} is used by {describe_holders(holders)}')
    more = f' (and {count - limit} more)' if count > limit else ''
    return (f'{count} object(s) of workspace {ws} are still used by images or services that are not being deleted, so Azure '
            f'would refuse to delete them (HTTP 412 DeletionRequired): {"; ".join(parts)}{more}. Delete the services, then '
            f'the images, then the models (the role gdpr.azureml.purge_workspace does it in that order)')


def settle_pending(module, audit):
    """Settle what an interrupted run left ``pending`` in the audit log (``_audit.settle_by_relist``): list each such kind
    again (get the workspace), ``deleted`` when the object is gone, ``failed`` when it is still there."""
    client, ws = module.client, module.workspace

    def present(kind_name):
        if kind_name == 'workspace':
            found = client.get_json('workspaces.get', what=f'get workspace {ws} (to settle the audit log)', missing_ok=True)
            return set() if found is None else {str(found.get('id') or ws.id).lower(), ws.id.lower()}
        if kind_name == _storage_purge.KIND and module.params.get('storage'):
            found = client.get_json('workspaces.get', what=f'get workspace {ws} (to settle the audit log)', missing_ok=True)
            return None if found is None else _storage_purge.present_ids(module, found)
        if kind_name in DELETABLE_KINDS:
            try:
                return {KINDS[kind_name].object_id(o) for o in list_objects(client, kind_name, ws)}
            except AzureMLError as exc:
                if exc.status == 404:  # the workspace is gone, and its objects with it
                    return set()
                raise
        return None

    return settle_by_relist(audit, ws.id, present)


def require_absolute(module, *options):
    """Fail, naming the option, when one of the path ``options`` is set but relative: a relative audit log or plan lands
    wherever the module happens to run (for a playbook of the collection: inside the collection), so it is refused."""
    for option in options:
        value = module.params.get(option)
        if value and not os.path.isabs(str(value)):
            module.fail(f'{option} must be an absolute path, got {value}', option=option)
