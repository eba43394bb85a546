-- +goose Up
-- Rule assertions (not Balrog's): an update URL and the release it must be
-- answered with (NULL: no update), checked by every write that can change
-- what clients get.
CREATE TABLE IF NOT EXISTS `assertions` (
  `assertion_id` INT NOT NULL AUTO_INCREMENT,
  `product` VARCHAR(15) NOT NULL,
  `url` VARCHAR(2000) NOT NULL,
  `expected_release` VARCHAR(100) NULL,
  `comment` VARCHAR(500) NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`assertion_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `assertions`;
