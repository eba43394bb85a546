-- +goose Up
CREATE TABLE IF NOT EXISTS `releases_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `name` VARCHAR(100) NOT NULL,
  `product` VARCHAR(15) NULL,
  `read_only` TINYINT(1) NULL,
  `data` LONGTEXT NULL,
  `data_version` INT NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `releases_history`;
