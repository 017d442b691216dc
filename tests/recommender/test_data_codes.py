"""The Django-free event-log codes (`recommender.data`) spell the same words as the database's choices."""

from marketplace.models import INTEREST_ACTIONS, MERREC_ACTIONS, EventAction, Page
from recommender.data import ACTIONS, INTERACTION_ACTIONS, PAGE_CODE


def test_event_log_actions_are_the_event_actions_in_funnel_order():
    assert set(ACTIONS) == set(EventAction.values)
    assert set(INTERACTION_ACTIONS) == set(MERREC_ACTIONS)
    assert set(INTEREST_ACTIONS) <= set(INTERACTION_ACTIONS)


def test_page_codes_name_pages_and_are_distinct():
    assert set(PAGE_CODE) <= set(Page.values)
    assert len(set(PAGE_CODE.values())) == len(PAGE_CODE)
    assert 0 not in PAGE_CODE.values()  # 0 means "unknown page" in an EventLog
